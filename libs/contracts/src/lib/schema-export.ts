import { ALL_CONTRACTS } from './registry';

export interface SchemaFile {
  readonly fileName: string;
  readonly content: string;
}

export function renderSchemaFiles(): SchemaFile[] {
  return ALL_CONTRACTS.map((contract) => ({
    fileName: `${contract.name}.v${contract.schemaVersion}.schema.json`,
    content: `${JSON.stringify(contract.jsonSchema(), null, 2)}\n`,
  }));
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderSchemaFiles } from '../lib/schema-export';

const outDir = resolve(process.argv[2] ?? join(__dirname, '../../../../docs/schemas'));
mkdirSync(outDir, { recursive: true });
for (const file of renderSchemaFiles()) {
  writeFileSync(join(outDir, file.fileName), file.content);
  console.log(`wrote ${join(outDir, file.fileName)}`);
}

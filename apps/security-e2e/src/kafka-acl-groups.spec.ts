import { join } from 'node:path';
import { SERVICE_KAFKA_ACCESS, WARD_SERVICES, type WardService } from '@ward/messaging';

/**
 * SERVICE_KAFKA_ACCESS repeats each service's consumer-group setting and its
 * default, from which `npm run kafka-acls` grants the group ACLs. The apps own
 * those settings (their `*.config.ts` env specs): if a default changes there
 * and not here, a service started with its defaults would be refused its
 * group. Read off the specs themselves, by path (an e2e project may not import
 * an app as a module, and this needs no more than the spec's values).
 */
const ROOT = join(__dirname, '../../..');

const CONFIG_SPECS: Record<WardService, { file: string; exportName: string }> = {
  'sentinel-ingest': {
    file: 'apps/sentinel-ingest/src/config/ingest.config',
    exportName: 'ingestEnv',
  },
  'behavioral-monitor': {
    file: 'apps/behavioral-monitor/src/config/monitor.config',
    exportName: 'monitorEnv',
  },
  fusion: { file: 'apps/fusion/src/config/fusion.config', exportName: 'fusionEnv' },
  'response-engine': {
    file: 'apps/response-engine/src/config/response.config',
    exportName: 'responseEnv',
  },
  'policy-generator': {
    file: 'apps/policy-generator/src/config/policy.config',
    exportName: 'policyEnv',
  },
};

interface SpecVariable {
  readonly description: string;
  readonly required: boolean;
  parse(raw: string | undefined): unknown;
}

function envSpecOf(service: WardService): Record<string, SpecVariable> {
  const { file, exportName } = CONFIG_SPECS[service];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(join(ROOT, file)) as Record<string, unknown>;
  const spec = module[exportName];
  if (typeof spec !== 'object' || spec === null) {
    throw new Error(`${file} exports no ${exportName}`);
  }
  return spec as Record<string, SpecVariable>;
}

describe("the ACL table's consumer groups match the services' configuration", () => {
  it('covers every service', () => {
    expect(Object.keys(CONFIG_SPECS).sort()).toEqual([...WARD_SERVICES].sort());
  });

  it.each(WARD_SERVICES)(
    '%s: the group setting exists and its default is the ACL default',
    (service) => {
      const access = SERVICE_KAFKA_ACCESS[service];
      const spec = envSpecOf(service);
      const variable = spec[access.groupSetting];
      expect({ service, setting: access.groupSetting, known: variable !== undefined }).toEqual({
        service,
        setting: access.groupSetting,
        known: true,
      });
      expect(variable!.required).toBe(false);
      expect({ service, default: variable!.parse(undefined) }).toEqual({
        service,
        default: access.defaultGroup,
      });
      // The only consumer-group setting of the service: no other group escapes the table.
      expect(Object.keys(spec).filter((name) => /CONSUMER_GROUP/.test(name))).toEqual([
        access.groupSetting,
      ]);
    },
  );
});

import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import {
  API_KEY_ROLES,
  type ApiKeyRole,
  ApiKeyRepository,
  createDataSource,
} from '@ward/persistence';

const USAGE = `usage:
  npm run api-key -- create --tenant <tenant> --name <name> [--roles ingest,analyst] [--expires-days <days>]
  npm run api-key -- list [--tenant <tenant>]
  npm run api-key -- revoke <key id> [--tenant <tenant>]

Roles: ingest (send telemetry), analyst (read every API of the tenant, triage
incidents), approver (also approve playbook steps, tiers and policies), admin
(everything in the tenant, API keys included). A key sees only its tenant.

Talks to PostgreSQL directly (DATABASE_URL); the same keys the /v1/api-keys admin routes manage.
Only the key's SHA-256 is stored: the key is printed once, at creation.`;

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;
const DAY_MS = 86_400_000;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      roles: { type: 'string' },
      'expires-days': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const [command, id] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const url = process.env.DATABASE_URL ?? 'postgres://ward:ward@127.0.0.1:5432/ward';
  const dataSource = await createDataSource({ url, applicationName: 'ward-api-key' }).initialize();
  try {
    const keys = new ApiKeyRepository(dataSource);
    switch (command) {
      case 'create': {
        if (!values.tenant || !values.name) {
          console.error('create needs --tenant and --name');
          return 2;
        }
        if (!TENANT.test(values.tenant)) {
          console.error(`--tenant ${values.tenant} is not a tenant id (letters, digits, ._:@-)`);
          return 2;
        }
        const days = values['expires-days'];
        if (days !== undefined && !(Number(days) > 0 && Number(days) <= 3650)) {
          console.error('--expires-days must be a number of days in (0, 3650]');
          return 2;
        }
        const roles = (values.roles ?? 'ingest').split(',').map((r) => r.trim());
        const bad = roles.filter((r) => !(API_KEY_ROLES as readonly string[]).includes(r));
        if (bad.length > 0) {
          console.error(`unknown role(s) ${bad.join(', ')}: use ${API_KEY_ROLES.join(', ')}`);
          return 2;
        }
        const created = await keys.create(values.tenant, values.name, roles as ApiKeyRole[], {
          createdBy: `cli:${userInfo().username}`,
          ...(days !== undefined && { expiresAt: new Date(Date.now() + Number(days) * DAY_MS) }),
        });
        console.log(JSON.stringify(created, null, 2));
        console.error('store the key now: it is not shown again');
        return 0;
      }
      case 'list':
        console.log(JSON.stringify(await keys.list(values.tenant), null, 2));
        return 0;
      case 'revoke':
        if (!id) {
          console.error('revoke needs the key id');
          return 2;
        }
        if (!(await keys.revoke(id, values.tenant))) {
          console.error(`no active API key ${id}`);
          return 1;
        }
        console.log(`revoked ${id}`);
        return 0;
      default:
        console.error(`unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);

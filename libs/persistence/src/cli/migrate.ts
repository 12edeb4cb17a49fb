import { ConfigError, infrastructureEnv, readEnv } from '@ward/config';
import { createDataSource, runMigrations } from '../lib/data-source';

async function main(): Promise<void> {
  // DATABASE_URL or DATABASE_URL_FILE (a mounted Secret), validated as the services validate it.
  const url = readEnv({ DATABASE_URL: infrastructureEnv.DATABASE_URL }).DATABASE_URL;
  const dataSource = await createDataSource({ url, applicationName: 'ward-migrate' }).initialize();
  try {
    const applied = await runMigrations(dataSource);
    console.log(
      applied.length
        ? `applied migrations: ${applied.join(', ')}`
        : 'database schema is up to date',
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

import { createDataSource, runMigrations } from '../lib/data-source';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://ward:ward@127.0.0.1:5432/ward';
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
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

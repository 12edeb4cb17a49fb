import 'reflect-metadata';
import { ConfigError } from '@ward/config';
import { closeOnSignals, listen } from '@ward/observability';
import { createIngestApp } from './app';
import { SERVICE_NAME } from './app.module';
import { loadIngestConfig } from './config/ingest.config';

async function main(): Promise<void> {
  const config = loadIngestConfig();
  const app = await createIngestApp(config);
  closeOnSignals(app, SERVICE_NAME);
  await listen(app, config.http.host, config.http.port, SERVICE_NAME);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `${SERVICE_NAME}: ${error.message}` : error);
  process.exit(1);
});

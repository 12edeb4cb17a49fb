import 'reflect-metadata';
import { ConfigError } from '@ward/config';
import { closeOnSignals, listen } from '@ward/observability';
import { createPolicyGeneratorApp } from './app';
import { SERVICE_NAME } from './app.module';
import { loadPolicyConfig } from './config/policy.config';

async function main(): Promise<void> {
  const config = loadPolicyConfig();
  const app = await createPolicyGeneratorApp(config);
  closeOnSignals(app, SERVICE_NAME);
  await listen(app, config.http.host, config.http.port, SERVICE_NAME);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `${SERVICE_NAME}: ${error.message}` : error);
  process.exit(1);
});

import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpService } from '@ward/observability';
import { AppModule, SERVICE_NAME } from './app.module';
import { type PolicyConfig } from './config/policy.config';

/** Builds the policy-generator application (used by main.ts and the tests). */
export async function createPolicyGeneratorApp(
  config: PolicyConfig,
): Promise<NestFastifyApplication> {
  return createHttpService(AppModule.register(config), {
    serviceName: SERVICE_NAME,
    title: 'Ward policy-generator',
    description:
      'Repeated detections turned into policies (Rego for OPA and JSON), proposed, approved and distributed.',
    version: '1',
    logLevel: config.logLevel,
  });
}

import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpService } from '@ward/observability';
import { AppModule, SERVICE_NAME } from './app.module';
import { type ResponseConfig } from './config/response.config';

/** Builds the response application (used by main.ts and the tests). */
export async function createResponseApp(config: ResponseConfig): Promise<NestFastifyApplication> {
  return createHttpService(AppModule.register(config), {
    serviceName: SERVICE_NAME,
    title: 'Ward response-engine',
    description:
      'Playbooks run on incidents, with a human on the loop and a verifiable audit trail.',
    version: '1',
    logLevel: config.logLevel,
  });
}

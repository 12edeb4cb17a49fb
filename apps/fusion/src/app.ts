import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpService } from '@ward/observability';
import { AppModule, SERVICE_NAME } from './app.module';
import { type FusionConfig } from './config/fusion.config';

/** Builds the fusion application (used by main.ts and the tests). */
export async function createFusionApp(config: FusionConfig): Promise<NestFastifyApplication> {
  return createHttpService(AppModule.register(config), {
    serviceName: SERVICE_NAME,
    title: 'Ward fusion',
    description: 'ThreatAlerts correlated into enriched incidents.',
    version: '1',
    logLevel: config.logLevel,
  });
}

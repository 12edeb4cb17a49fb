import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpService } from '@ward/observability';
import { AppModule, SERVICE_NAME } from './app.module';
import { type MonitorConfig } from './config/monitor.config';

/** Builds the behavioral-monitor application (used by main.ts and the tests). */
export async function createMonitorApp(config: MonitorConfig): Promise<NestFastifyApplication> {
  return createHttpService(AppModule.register(config), {
    serviceName: SERVICE_NAME,
    title: 'Ward behavioral-monitor',
    description: 'Per-agent behavioral profiles, baselines and ThreatAlerts.',
    version: '1',
    logLevel: config.logLevel,
  });
}

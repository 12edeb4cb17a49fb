import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@ward/messaging';
import { AuthModule, ObservabilityModule } from '@ward/observability';
import { ApiKeyVerifier, PersistenceModule, RedisModule } from '@ward/persistence';
import { ConfigModule } from './config/config.module';
import { MONITOR_CONFIG, type MonitorConfig } from './config/monitor.config';
import { EventsConsumer } from './profiles/events.consumer';
import { ProfilesModule } from './profiles/profiles.module';
import { ControlConsumer } from './tiers/control.consumer';
import { AgentsController } from './api/agents.controller';

export const SERVICE_NAME = 'behavioral-monitor';

@Module({})
export class AppModule {
  static register(config: MonitorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ObservabilityModule.forRoot({ serviceName: SERVICE_NAME }),
        AuthModule.forRoot({
          inject: [MONITOR_CONFIG],
          useFactory: (c: MonitorConfig) => c.auth,
          apiKeys: ApiKeyVerifier,
        }),
        PersistenceModule.forRoot({
          inject: [MONITOR_CONFIG],
          useFactory: (c: MonitorConfig) => ({ url: c.databaseUrl, applicationName: SERVICE_NAME }),
        }),
        RedisModule.forRoot({
          inject: [MONITOR_CONFIG],
          useFactory: (c: MonitorConfig) => c.redis,
        }),
        MessagingModule.forRoot({
          inject: [MONITOR_CONFIG],
          useFactory: (c: MonitorConfig) => ({ ...c.kafka, ensureTopics: true }),
        }),
        MessagingModule.forConsumer({
          inject: [MONITOR_CONFIG],
          useFactory: (c: MonitorConfig) => ({
            groupId: c.consumerGroup,
            partitionsConsumedConcurrently: c.partitionsConcurrently,
          }),
          handlers: [EventsConsumer, ControlConsumer],
          imports: [ProfilesModule],
        }),
        ProfilesModule,
      ],
      controllers: [AgentsController],
    };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@ward/messaging';
import { AuthModule, ObservabilityModule } from '@ward/observability';
import { ApiKeyVerifier, PersistenceModule } from '@ward/persistence';
import { IncidentsController } from './api/incidents.controller';
import { ConfigModule } from './config/config.module';
import { FUSION_CONFIG, type FusionConfig } from './config/fusion.config';
import { AlertsConsumer } from './incidents/alerts.consumer';
import { IncidentsModule } from './incidents/incidents.module';

export const SERVICE_NAME = 'fusion';

@Module({})
export class AppModule {
  static register(config: FusionConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ObservabilityModule.forRoot({ serviceName: SERVICE_NAME }),
        AuthModule.forRoot({
          inject: [FUSION_CONFIG],
          useFactory: (c: FusionConfig) => c.auth,
          apiKeys: ApiKeyVerifier,
        }),
        PersistenceModule.forRoot({
          inject: [FUSION_CONFIG],
          useFactory: (c: FusionConfig) => ({ url: c.databaseUrl, applicationName: SERVICE_NAME }),
        }),
        MessagingModule.forRoot({
          inject: [FUSION_CONFIG],
          useFactory: (c: FusionConfig) => ({ ...c.kafka, ensureTopics: true }),
        }),
        MessagingModule.forConsumer({
          inject: [FUSION_CONFIG],
          useFactory: (c: FusionConfig) => ({ groupId: c.consumerGroup }),
          handlers: [AlertsConsumer],
          imports: [IncidentsModule],
        }),
        IncidentsModule,
      ],
      controllers: [IncidentsController],
    };
  }
}

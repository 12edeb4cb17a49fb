import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@ward/messaging';
import { AuthModule, ObservabilityModule } from '@ward/observability';
import { ApiKeyVerifier, PersistenceModule, RedisModule } from '@ward/persistence';
import { ApiKeysModule } from './auth/api-keys.module';
import { ConfigModule } from './config/config.module';
import { INGEST_CONFIG, type IngestConfig } from './config/ingest.config';
import { EventsModule } from './events/events.module';
import { IntakeModule } from './intake/intake.module';
import { RawTelemetryConsumer } from './raw/raw-telemetry.consumer';
import { FileIntakeModule } from './files/file-intake.module';

export const SERVICE_NAME = 'sentinel-ingest';

@Module({})
export class AppModule {
  static register(config: IngestConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ObservabilityModule.forRoot({ serviceName: SERVICE_NAME }),
        PersistenceModule.forRoot({
          inject: [INGEST_CONFIG],
          useFactory: (c: IngestConfig) => ({ url: c.databaseUrl, applicationName: SERVICE_NAME }),
        }),
        RedisModule.forRoot({ inject: [INGEST_CONFIG], useFactory: (c: IngestConfig) => c.redis }),
        MessagingModule.forRoot({
          inject: [INGEST_CONFIG],
          useFactory: (c: IngestConfig) => ({ ...c.kafka, ensureTopics: true }),
        }),
        AuthModule.forRoot({
          inject: [INGEST_CONFIG],
          useFactory: (c: IngestConfig) => ({
            ...c.auth,
            // The name dashboards and alert rules already use for ingest.
            failureMetric: 'ward_ingest_auth_failures_total',
          }),
          apiKeys: ApiKeyVerifier,
        }),
        IntakeModule,
        ApiKeysModule,
        EventsModule,
        FileIntakeModule,
        ...(config.rawTopic.enabled
          ? [
              MessagingModule.forConsumer({
                inject: [INGEST_CONFIG],
                useFactory: (c: IngestConfig) => ({
                  groupId: c.rawTopic.consumerGroup,
                  maxMessageBytes: c.limits.maxBodyBytes,
                }),
                handlers: [RawTelemetryConsumer],
              }),
            ]
          : []),
      ],
    };
  }
}

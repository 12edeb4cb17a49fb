import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@ward/messaging';
import { ObservabilityModule } from '@ward/observability';
import { INGEST_CONFIG, type IngestConfig } from './config/ingest.config';
import { ConfigModule } from './config/config.module';
import { EventsModule } from './events/events.module';

export const SERVICE_NAME = 'sentinel-ingest';

@Module({})
export class AppModule {
  static register(config: IngestConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ObservabilityModule.forRoot({ serviceName: SERVICE_NAME }),
        MessagingModule.forRoot({
          inject: [INGEST_CONFIG],
          useFactory: (c: IngestConfig) => ({ ...c.kafka, ensureTopics: true }),
        }),
        EventsModule,
      ],
    };
  }
}

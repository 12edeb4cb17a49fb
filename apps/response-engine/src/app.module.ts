import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@ward/messaging';
import { AuthModule, ObservabilityModule } from '@ward/observability';
import { ApiKeyVerifier, PersistenceModule, RedisModule } from '@ward/persistence';
import { ResponseController } from './api/response.controller';
import { ConfigModule } from './config/config.module';
import { RESPONSE_CONFIG, type ResponseConfig } from './config/response.config';
import { IncidentsConsumer } from './runs/incidents.consumer';
import { RunsModule } from './runs/runs.module';

export const SERVICE_NAME = 'response-engine';

@Module({})
export class AppModule {
  static register(config: ResponseConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ObservabilityModule.forRoot({ serviceName: SERVICE_NAME }),
        AuthModule.forRoot({
          inject: [RESPONSE_CONFIG],
          useFactory: (c: ResponseConfig) => c.auth,
          apiKeys: ApiKeyVerifier,
        }),
        PersistenceModule.forRoot({
          inject: [RESPONSE_CONFIG],
          useFactory: (c: ResponseConfig) => ({
            url: c.databaseUrl,
            applicationName: SERVICE_NAME,
          }),
        }),
        RedisModule.forRoot({
          inject: [RESPONSE_CONFIG],
          useFactory: (c: ResponseConfig) => c.redis,
        }),
        MessagingModule.forRoot({
          inject: [RESPONSE_CONFIG],
          useFactory: (c: ResponseConfig) => ({ ...c.kafka, ensureTopics: true }),
        }),
        MessagingModule.forConsumer({
          inject: [RESPONSE_CONFIG],
          useFactory: (c: ResponseConfig) => ({ groupId: c.consumerGroup }),
          handlers: [IncidentsConsumer],
          imports: [RunsModule],
        }),
        RunsModule,
      ],
      controllers: [ResponseController],
    };
  }
}

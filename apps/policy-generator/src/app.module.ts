import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@ward/messaging';
import { AuthModule, ObservabilityModule } from '@ward/observability';
import { ApiKeyVerifier, PersistenceModule } from '@ward/persistence';
import { BundleController } from './api/bundle.controller';
import { BundleMetrics } from './api/bundle.metrics';
import { BundleTokenGuard } from './api/guards';
import { PoliciesController } from './api/policies.controller';
import { ConfigModule } from './config/config.module';
import { POLICY_CONFIG, type PolicyConfig } from './config/policy.config';
import { ActionsConsumer } from './policies/actions.consumer';
import { AlertsConsumer } from './policies/alerts.consumer';
import { IncidentsConsumer } from './policies/incidents.consumer';
import { PoliciesModule } from './policies/policies.module';
import { PolicyGauges } from './policies/policy.gauges';

export const SERVICE_NAME = 'policy-generator';

@Module({})
export class AppModule {
  static register(config: PolicyConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        ObservabilityModule.forRoot({ serviceName: SERVICE_NAME }),
        AuthModule.forRoot({
          inject: [POLICY_CONFIG],
          useFactory: (c: PolicyConfig) => c.auth,
          apiKeys: ApiKeyVerifier,
        }),
        PersistenceModule.forRoot({
          inject: [POLICY_CONFIG],
          useFactory: (c: PolicyConfig) => ({ url: c.databaseUrl, applicationName: SERVICE_NAME }),
        }),
        MessagingModule.forRoot({
          inject: [POLICY_CONFIG],
          useFactory: (c: PolicyConfig) => ({ ...c.kafka, ensureTopics: true }),
        }),
        MessagingModule.forConsumer({
          inject: [POLICY_CONFIG],
          useFactory: (c: PolicyConfig) => ({ groupId: c.consumerGroup }),
          handlers: [AlertsConsumer, IncidentsConsumer, ActionsConsumer],
          imports: [PoliciesModule],
        }),
        PoliciesModule,
      ],
      controllers: [PoliciesController, BundleController],
      providers: [BundleTokenGuard, BundleMetrics, PolicyGauges],
    };
  }
}

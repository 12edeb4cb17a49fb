import { type DynamicModule, Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';

export interface ObservabilityOptions {
  readonly serviceName: string;
}

@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [HealthController],
      providers: [
        { provide: MetricsService, useFactory: () => new MetricsService(options.serviceName) },
        ReadinessService,
      ],
      exports: [MetricsService, ReadinessService],
    };
  }
}

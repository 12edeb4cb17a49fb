import { type DynamicModule, Global, Module } from '@nestjs/common';
import { MONITOR_CONFIG, type MonitorConfig } from './monitor.config';

@Global()
@Module({})
export class ConfigModule {
  static register(config: MonitorConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: MONITOR_CONFIG, useValue: config }],
      exports: [MONITOR_CONFIG],
    };
  }
}

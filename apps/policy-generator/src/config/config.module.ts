import { type DynamicModule, Global, Module } from '@nestjs/common';
import { POLICY_CONFIG, type PolicyConfig } from './policy.config';

@Global()
@Module({})
export class ConfigModule {
  static register(config: PolicyConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: POLICY_CONFIG, useValue: config }],
      exports: [POLICY_CONFIG],
    };
  }
}

import { type DynamicModule, Global, Module } from '@nestjs/common';
import { FUSION_CONFIG, type FusionConfig } from './fusion.config';

@Global()
@Module({})
export class ConfigModule {
  static register(config: FusionConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: FUSION_CONFIG, useValue: config }],
      exports: [FUSION_CONFIG],
    };
  }
}

import { type DynamicModule, Global, Module } from '@nestjs/common';
import { RESPONSE_CONFIG, type ResponseConfig } from './response.config';

@Global()
@Module({})
export class ConfigModule {
  static register(config: ResponseConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: RESPONSE_CONFIG, useValue: config }],
      exports: [RESPONSE_CONFIG],
    };
  }
}

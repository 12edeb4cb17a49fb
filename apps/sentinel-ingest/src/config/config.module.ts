import { type DynamicModule, Global, Module } from '@nestjs/common';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';

@Global()
@Module({})
export class ConfigModule {
  static register(config: IngestConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: INGEST_CONFIG, useValue: config }],
      exports: [INGEST_CONFIG],
    };
  }
}

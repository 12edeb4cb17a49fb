import { Global, Module } from '@nestjs/common';
import { IngestMetrics } from './ingest.metrics';
import { IntakeService } from './intake.service';

@Global()
@Module({ providers: [IntakeService, IngestMetrics], exports: [IntakeService, IngestMetrics] })
export class IntakeModule {}

import { Global, Module } from '@nestjs/common';
import { IngestMetrics } from './ingest.metrics';
import { IntakeService } from './intake.service';
import { PolicyEnforcer } from '../policies/policy-enforcer.service';

@Global()
@Module({
  providers: [IntakeService, IngestMetrics, PolicyEnforcer],
  exports: [IntakeService, IngestMetrics, PolicyEnforcer],
})
export class IntakeModule {}

import { Module } from '@nestjs/common';
import { DryRunService } from './dry-run.service';
import { PolicyService } from './policy.service';

const PROVIDERS = [PolicyService, DryRunService];

@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class PoliciesModule {}

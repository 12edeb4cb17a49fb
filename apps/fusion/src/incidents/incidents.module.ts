import { Module } from '@nestjs/common';
import { IntelService } from '../intel/intel.service';
import { FusionService } from './fusion.service';

const PROVIDERS = [FusionService, IntelService];

@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class IncidentsModule {}

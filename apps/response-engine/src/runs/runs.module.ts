import { Module } from '@nestjs/common';
import { ActionRegistry } from '../actions/action.registry';
import { PlaybookRegistry } from '../playbooks/playbook.registry';
import { RunService } from './run.service';

const PROVIDERS = [ActionRegistry, PlaybookRegistry, RunService];

@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class RunsModule {}

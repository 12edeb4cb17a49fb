import { Injectable } from '@nestjs/common';
import { type AgentControl, AgentControlContract } from '@ward/contracts';
import { type BatchOutcome, type InboundMessage, type TopicHandler } from '@ward/messaging';
import { OperatorActionsService } from './operator-actions.service';

/**
 * `ward.agent-control.v1` → configured tiers. A tier or quarantine set by a
 * response playbook becomes a configured tier here, like an operator's, so the
 * monitor's later records for the agent keep it instead of overwriting it.
 * Records the monitor wrote itself are ignored. Thin: OperatorActionsService
 * decides.
 */
@Injectable()
export class ControlConsumer implements TopicHandler<typeof AgentControlContract.schema> {
  readonly topic = 'agentControl' as const;
  readonly contract = AgentControlContract;

  constructor(private readonly actions: OperatorActionsService) {}

  async handleBatch(messages: readonly InboundMessage<AgentControl>[]): Promise<BatchOutcome> {
    for (const m of messages) {
      if (m.value.source === 'response-engine') {
        await this.actions.applyPlaybookControl(m.value);
      }
    }
    return {};
  }
}

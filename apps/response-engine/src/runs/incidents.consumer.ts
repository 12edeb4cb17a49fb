import { Injectable } from '@nestjs/common';
import { type Incident, IncidentContract } from '@ward/contracts';
import { type BatchOutcome, type InboundMessage, type TopicHandler } from '@ward/messaging';
import { RunService } from './run.service';

/**
 * `ward.incidents.v1` → playbook runs. Thin: every incident version is offered
 * to the playbooks; a run starts once per incident and playbook version, so
 * replays and later versions start nothing twice.
 */
@Injectable()
export class IncidentsConsumer implements TopicHandler<typeof IncidentContract.schema> {
  readonly topic = 'incidents' as const;
  readonly contract = IncidentContract;

  constructor(private readonly runs: RunService) {}

  async handleBatch(messages: readonly InboundMessage<Incident>[]): Promise<BatchOutcome> {
    for (const m of messages) {
      await this.runs.onIncident(m.value);
    }
    return {};
  }
}

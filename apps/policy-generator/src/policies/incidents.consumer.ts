import { Injectable } from '@nestjs/common';
import { type Incident, IncidentContract } from '@ward/contracts';
import { type BatchOutcome, type InboundMessage, type TopicHandler } from '@ward/messaging';
import { PolicyService } from './policy.service';

/** `ward.incidents.v1` → which alerts belong together, and false-positive verdicts. */
@Injectable()
export class IncidentsConsumer implements TopicHandler<typeof IncidentContract.schema> {
  readonly topic = 'incidents' as const;
  readonly contract = IncidentContract;

  constructor(private readonly policies: PolicyService) {}

  async handleBatch(messages: readonly InboundMessage<Incident>[]): Promise<BatchOutcome> {
    await this.policies.ingestIncidents(messages.map((m) => m.value));
    return {};
  }
}

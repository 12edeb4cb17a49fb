import { Injectable } from '@nestjs/common';
import { type ThreatAlert, ThreatAlertContract } from '@ward/contracts';
import { type BatchOutcome, type InboundMessage, type TopicHandler } from '@ward/messaging';
import { PolicyService } from './policy.service';

/** `ward.threat-alerts.v1` → pattern evidence. */
@Injectable()
export class AlertsConsumer implements TopicHandler<typeof ThreatAlertContract.schema> {
  readonly topic = 'threatAlerts' as const;
  readonly contract = ThreatAlertContract;

  constructor(private readonly policies: PolicyService) {}

  async handleBatch(messages: readonly InboundMessage<ThreatAlert>[]): Promise<BatchOutcome> {
    await this.policies.ingestAlerts(messages.map((m) => m.value));
    return {};
  }
}

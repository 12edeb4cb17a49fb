import { Injectable } from '@nestjs/common';
import { ThreatAlertContract } from '@ward/contracts';
import { type BatchOutcome, type InboundMessage, type TopicHandler } from '@ward/messaging';
import { type ThreatAlert } from '@ward/contracts';
import { FusionService } from './fusion.service';

/**
 * `ward.threat-alerts.v1` → incidents. Thin: malformed alerts never get here
 * (the consumer dead-letters what fails the contract); the domain is
 * FusionService.
 */
@Injectable()
export class AlertsConsumer implements TopicHandler<typeof ThreatAlertContract.schema> {
  readonly topic = 'threatAlerts' as const;
  readonly contract = ThreatAlertContract;

  constructor(private readonly fusion: FusionService) {}

  async handleBatch(messages: readonly InboundMessage<ThreatAlert>[]): Promise<BatchOutcome> {
    await this.fusion.ingest(
      messages.map((m) => ({ alert: m.value, kafkaTimestampMs: m.timestamp })),
    );
    return {};
  }
}

import { Injectable } from '@nestjs/common';
import { type ResponseAction, ResponseActionContract } from '@ward/contracts';
import { type BatchOutcome, type InboundMessage, type TopicHandler } from '@ward/messaging';
import { PolicyService } from './policy.service';

/** `ward.response-actions.v1` → blocks and tier changes as evidence. */
@Injectable()
export class ActionsConsumer implements TopicHandler<typeof ResponseActionContract.schema> {
  readonly topic = 'responseActions' as const;
  readonly contract = ResponseActionContract;

  constructor(private readonly policies: PolicyService) {}

  async handleBatch(messages: readonly InboundMessage<ResponseAction>[]): Promise<BatchOutcome> {
    await this.policies.ingestActions(messages.map((m) => m.value));
    return {};
  }
}

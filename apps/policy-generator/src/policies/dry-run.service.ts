import { Inject, Injectable, Logger } from '@nestjs/common';
import { agentKey, BehavioralEventContract, type Policy } from '@ward/contracts';
import { CallRateCounter, PolicySet } from '@ward/detectors';
import { endOffsets, TopicAdmin } from '@ward/messaging';
import { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { POLICY_CONFIG, type PolicyConfig } from '../config/policy.config';

const SAMPLES = 20;
const TOP_AGENTS = 10;
const READ_TIMEOUT_MS = 60_000;

export interface DryRunReport {
  readonly policyId: string;
  readonly version: number;
  readonly rule: Policy['rule'];
  readonly from: string;
  readonly to: string;
  /** False when the read stopped early (event budget or time limit): counts are a lower bound. */
  readonly complete: boolean;
  readonly scanned: number;
  readonly tenantEvents: number;
  readonly wouldDeny: number;
  readonly wouldEscalate: number;
  readonly agents: { agentId: string; matches: number }[];
  readonly samples: {
    eventId: string;
    agentId: string;
    action: string;
    resource?: string;
    timestamp: string;
    effect: string;
  }[];
}

/**
 * Evaluates one policy against what really happened: the tenant's events on
 * `ward.behavioral-events.v1` since a point in time (read with a throwaway
 * consumer group seeked to that time, up to the end offsets seen at the start),
 * with the same evaluator sentinel-ingest enforces with.
 */
@Injectable()
export class DryRunService {
  private readonly logger = new Logger(DryRunService.name);

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: TopicAdmin,
    @Inject(POLICY_CONFIG) private readonly config: PolicyConfig,
  ) {}

  async run(policy: Policy, sinceMs: number, nowMs: number): Promise<DryRunReport> {
    const topic = this.admin.topics.behavioralEvents.name;
    const set = new PolicySet([
      { policyId: policy.policyId, version: policy.version, kind: policy.kind, rule: policy.rule },
    ]);
    const rates = new CallRateCounter();
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    let starts: Map<number, bigint>;
    try {
      ends = new Map((await endOffsets(admin, topic)).map((p) => [p.partition, BigInt(p.high)]));
      starts = new Map(
        (await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs)).map((p) => [
          p.partition,
          BigInt(p.offset),
        ]),
      );
    } finally {
      await admin.disconnect();
    }
    const pending = new Set(
      [...ends].filter(([p, end]) => (starts.get(p) ?? end) < end).map(([p]) => p),
    );
    const report = {
      scanned: 0,
      tenantEvents: 0,
      wouldDeny: 0,
      wouldEscalate: 0,
      complete: true,
    };
    const agents = new Map<string, number>();
    const samples: DryRunReport['samples'] = [];
    if (pending.size > 0) {
      const consumer = this.kafka.consumer({
        groupId: `${this.config.consumerGroup}-dry-run-${randomUUID()}`,
        sessionTimeout: 30_000,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: false });
        let finish: () => void = () => undefined;
        const done = new Promise<void>((resolve) => {
          finish = resolve;
        });
        const timer = setTimeout(() => {
          report.complete = false;
          finish();
        }, READ_TIMEOUT_MS);
        await consumer.run({
          autoCommit: false,
          eachBatch: ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= end || !pending.has(batch.partition)) {
                break;
              }
              if (report.scanned >= this.config.dryRunMaxEvents) {
                report.complete = false;
                finish();
                return Promise.resolve();
              }
              report.scanned++;
              const decoded = BehavioralEventContract.decode(message.value);
              if (!decoded.ok || decoded.value.tenantId !== policy.tenantId) {
                continue;
              }
              const event = decoded.value;
              const t = Date.parse(event.timestamp);
              if (t < sinceMs || t > nowMs) {
                continue;
              }
              report.tenantEvents++;
              const verdict = set.evaluate({
                event,
                context: {
                  callsPerMinute: rates.record(agentKey(event.tenantId, event.agentId), t),
                },
              });
              if (verdict.decision === 'allow') {
                continue;
              }
              if (verdict.decision === 'deny') {
                report.wouldDeny++;
              } else {
                report.wouldEscalate++;
              }
              agents.set(event.agentId, (agents.get(event.agentId) ?? 0) + 1);
              if (samples.length < SAMPLES) {
                samples.push({
                  eventId: event.eventId,
                  agentId: event.agentId,
                  action: event.action,
                  ...(event.resource !== undefined && { resource: event.resource }),
                  timestamp: event.timestamp,
                  effect: verdict.decision,
                });
              }
            }
            const last = batch.messages.at(-1);
            if (last === undefined || BigInt(last.offset) >= end - 1n) {
              pending.delete(batch.partition);
            }
            if (pending.size === 0) {
              finish();
            }
            return Promise.resolve();
          },
        });
        for (const partition of pending) {
          consumer.seek({ topic, partition, offset: String(starts.get(partition)) });
        }
        await done;
        clearTimeout(timer);
      } finally {
        await consumer.disconnect().catch((error: unknown) => {
          this.logger.warn(`dry-run consumer did not close cleanly: ${String(error)}`);
        });
      }
    }
    return {
      policyId: policy.policyId,
      version: policy.version,
      rule: policy.rule,
      from: new Date(sinceMs).toISOString(),
      to: new Date(nowMs).toISOString(),
      ...report,
      agents: [...agents]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, TOP_AGENTS)
        .map(([agentId, matches]) => ({ agentId, matches })),
      samples,
    };
  }
}

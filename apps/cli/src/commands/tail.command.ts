import {
  type Incident,
  type Policy,
  type ResponseAction,
  type ThreatAlert,
  type TopicRegistry,
} from '@ward/contracts';
import { intOption, stringOption } from '../cli/args';
import { type Context } from '../cli/context';
import { CliError, EXIT, UsageError } from '../cli/errors';
import { type Style } from '../cli/style';
import { connectKafka, kafkaFailure, TopicFollower } from '../client/kafka.client';
import { actionLine, alertLine, incidentLine, policyLine } from '../render/format';

export const STREAMS = ['alerts', 'incidents', 'actions', 'policies'] as const;
export type Stream = (typeof STREAMS)[number];

interface StreamSpec {
  topic(topics: TopicRegistry): string;
  line(style: Style, value: unknown, withTenant: boolean): string;
  agents(value: unknown): readonly string[];
}

export const STREAM_SPECS: Record<Stream, StreamSpec> = {
  alerts: {
    topic: (t) => t.threatAlerts.name,
    line: (s, v, w) => alertLine(s, v as ThreatAlert, w),
    agents: (v) => [(v as ThreatAlert).agentId],
  },
  incidents: {
    topic: (t) => t.incidents.name,
    line: (s, v, w) => incidentLine(s, v as Incident, w),
    agents: (v) => (v as Incident).agents,
  },
  actions: {
    topic: (t) => t.responseActions.name,
    line: (s, v, w) => actionLine(s, v as ResponseAction, w),
    agents: (v) => {
      const p = (v as ResponseAction).parameters as { agents?: unknown } | undefined;
      return Array.isArray(p?.agents) ? (p.agents as string[]) : [];
    },
  },
  policies: {
    topic: (t) => t.policies.name,
    line: (s, v, w) => policyLine(s, v as Policy, w),
    agents: (v) => (v as Policy).scope.agents,
  },
};

/** Whether a record passes `--tenant` and `--agent`. */
export function matches(
  stream: Stream,
  value: unknown,
  filter: { readonly tenant?: string; readonly agent?: string },
): boolean {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  if (filter.tenant !== undefined && (value as { tenantId?: unknown }).tenantId !== filter.tenant) {
    return false;
  }
  return filter.agent === undefined || STREAM_SPECS[stream].agents(value).includes(filter.agent);
}

/** `ward tail <stream>` */
export async function tail(ctx: Context): Promise<number> {
  const stream = ctx.positionals[0] as Stream;
  if (!STREAMS.includes(stream)) {
    throw new UsageError(`unknown stream "${ctx.positionals[0]}": one of ${STREAMS.join(', ')}`);
  }
  const count = intOption(ctx.values, 'count', { min: 1, max: 1_000_000 });
  const timeout = intOption(ctx.values, 'timeout', { min: 1, max: 86_400 });
  const config = ctx.config();
  const tenant =
    stringOption(ctx.values, 'tenant') ??
    (config.sources.has('WARD_TENANT') ? config.tenant : undefined);
  const agent = stringOption(ctx.values, 'agent');
  const handle = connectKafka(config);
  const topic = STREAM_SPECS[stream].topic(handle.topics);
  const follower = new TopicFollower(handle, [topic], ctx.values['from-beginning'] === true);
  let seen = 0;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  try {
    await follower.start((_topic, value) => {
      if (
        !matches(stream, value, {
          ...(tenant !== undefined && { tenant }),
          ...(agent !== undefined && { agent }),
        })
      ) {
        return;
      }
      if (count !== undefined && seen >= count) {
        return;
      }
      seen += 1;
      ctx.out.line(
        ctx.json
          ? JSON.stringify(value)
          : STREAM_SPECS[stream].line(ctx.out.style, value, tenant === undefined),
      );
      if (count !== undefined && seen >= count) {
        finish(EXIT.ok);
      }
    });
  } catch (error) {
    await follower.stop();
    throw new CliError(
      kafkaFailure(handle.brokers, error),
      'run `npm run infra -- up` (or set KAFKA_BROKERS / --brokers); `ward doctor` checks every part',
    );
  }
  if (!ctx.json && ctx.err.isTTY) {
    ctx.err.line(
      ctx.err.style.dim(
        `following ${topic}${tenant ? ` for tenant ${tenant}` : ' (every tenant)'}${agent ? `, agent ${agent}` : ''}; Ctrl-C stops`,
      ),
    );
  }
  const onAbort = () => finish(EXIT.ok);
  ctx.signal.addEventListener('abort', onAbort);
  const timer =
    timeout !== undefined
      ? setTimeout(() => {
          ctx.err.line(
            `${ctx.err.style.red('✗')} ${seen} of ${count ?? 'the wanted'} records within ${timeout} s`,
          );
          finish(EXIT.failure);
        }, timeout * 1000)
      : undefined;
  const code = await finished;
  clearTimeout(timer);
  ctx.signal.removeEventListener('abort', onAbort);
  await follower.stop();
  return code;
}

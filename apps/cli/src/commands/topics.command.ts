import { allTopics } from '@ward/contracts';
import { type Context } from '../cli/context';
import { CliError } from '../cli/errors';
import { connectKafka, kafkaFailure } from '../client/kafka.client';
import { renderTable } from '../render/table';

export interface TopicReport {
  readonly topic: string;
  readonly exists: boolean;
  readonly partitions: number;
  readonly messages: number;
  readonly groups: { readonly group: string; readonly lag: number; readonly partitions: number }[];
}

/** Whether `ward topics` lists a consumer group: the deployment's own, not tests' or ward's throwaways. */
export function isDeploymentGroup(group: string, prefix: string): boolean {
  if (group.includes('ward-cli-')) {
    return false;
  }
  return prefix === '' ? !group.startsWith('scratch.') : group.startsWith(prefix);
}

/** Lag of a group on one topic: what is left between its committed offsets and the end. */
export function lagOf(
  ends: readonly { partition: number; high: string; low: string }[],
  committed: readonly { partition: number; offset: string }[],
): { lag: number; partitions: number } {
  let lag = 0;
  let partitions = 0;
  for (const c of committed) {
    const end = ends.find((e) => e.partition === c.partition);
    if (end === undefined || c.offset === '-1') {
      continue;
    }
    partitions += 1;
    lag += Math.max(0, Number(end.high) - Math.max(Number(c.offset), Number(end.low)));
  }
  return { lag, partitions };
}

/** `ward topics` */
export async function topics(ctx: Context): Promise<void> {
  const config = ctx.config();
  const handle = connectKafka(config);
  const admin = handle.kafka.admin();
  const reports: TopicReport[] = [];
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const ward = allTopics(handle.topics);
    const { groups } = await admin.listGroups();
    const mine = groups
      .map((g) => g.groupId)
      .filter((g) => isDeploymentGroup(g, handle.prefix))
      .sort();
    const present = ward.filter((t) => existing.has(t.name)).map((t) => t.name);
    const committed = new Map<
      string,
      { topic: string; partitions: { partition: number; offset: string }[] }[]
    >();
    for (const group of mine) {
      committed.set(group, await admin.fetchOffsets({ groupId: group, topics: present }));
    }
    for (const t of ward) {
      if (!existing.has(t.name)) {
        reports.push({ topic: t.name, exists: false, partitions: 0, messages: 0, groups: [] });
        continue;
      }
      const ends = await admin.fetchTopicOffsets(t.name);
      reports.push({
        topic: t.name,
        exists: true,
        partitions: ends.length,
        messages: ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0),
        groups: [...committed.entries()]
          .map(([group, offsets]) => ({
            group,
            ...lagOf(ends, offsets.find((o) => o.topic === t.name)?.partitions ?? []),
          }))
          .filter((g) => g.partitions > 0),
      });
    }
  } catch (error) {
    throw new CliError(
      kafkaFailure(handle.brokers, error),
      'run `npm run infra -- up` (or set KAFKA_BROKERS / --brokers); `ward doctor` checks every part',
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (ctx.json) {
    ctx.out.line(JSON.stringify(reports));
    return;
  }
  const s = ctx.out.style;
  const rows = reports.flatMap((r) =>
    r.groups.length === 0
      ? [
          {
            r,
            group: r.exists ? s.dim('(no consumer group)') : s.red('missing: npm run topics'),
            lag: '',
          },
        ]
      : r.groups.map((g, i) => ({
          r: i === 0 ? r : undefined,
          group: g.group,
          lag: g.lag === 0 ? s.green('0') : s.yellow(String(g.lag)),
        })),
  );
  ctx.out.write(
    renderTable(
      rows,
      [
        { header: 'TOPIC', value: (x) => (x.r ? x.r.topic : '') },
        {
          header: 'PARTITIONS',
          value: (x) => (x.r?.exists ? String(x.r.partitions) : ''),
          right: true,
        },
        {
          header: 'MESSAGES',
          value: (x) => (x.r?.exists ? String(x.r.messages) : ''),
          right: true,
        },
        { header: 'CONSUMER GROUP', value: (x) => x.group },
        { header: 'LAG', value: (x) => x.lag, right: true },
      ],
      s,
      ctx.out.columns,
    ),
  );
}

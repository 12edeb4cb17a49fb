import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { oneOfOption, stringOption } from '../cli/args';
import { type Context } from '../cli/context';
import { CliError, EXIT, UsageError } from '../cli/errors';
import {
  addAnswers,
  EMPTY_ANSWER,
  HttpSink,
  type IngestAnswer,
  KafkaSink,
  type TelemetrySink,
} from '../client/ingest.client';
import { connectKafka } from '../client/kafka.client';
import { rebase } from '../demo/scenario';
import { ProgressBar } from '../render/progress';
import {
  byEventTime,
  eventTimeMs,
  paceBatches,
  type ParseProblem,
  parseSpeed,
  parseTelemetry,
  type TelemetryRecord,
} from '../telemetry/telemetry';

function sinkOf(ctx: Context): TelemetrySink {
  const config = ctx.config();
  const via = oneOfOption(ctx.values, 'via', ['http', 'kafka'] as const) ?? 'http';
  return via === 'http'
    ? new HttpSink(config, config.tenant)
    : new KafkaSink(connectKafka(config), config.tenant);
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function report(
  ctx: Context,
  answer: IngestAnswer,
  problems: readonly ParseProblem[],
  target: string,
): number {
  const s = ctx.out.style;
  const bad = [...problems.map((p) => ({ ...p, reason: p.reason })), ...answer.rejections];
  if (ctx.json) {
    ctx.out.line(JSON.stringify({ ...answer, unreadable: problems }));
  } else {
    ctx.out.line(
      `${s.green('✓')} ${answer.accepted} accepted, ${answer.rejected} rejected, ${answer.duplicates} duplicates, ${answer.alerts} inline alerts → ${target}`,
    );
    for (const b of bad.slice(0, 20)) {
      ctx.err.line(`  ${s.red('✗')} ${b.source}:${b.line}  ${b.reason}`);
    }
    if (bad.length > 20) {
      ctx.err.line(`  … and ${bad.length - 20} more`);
    }
  }
  return bad.length > 0 || answer.rejected > 0 ? EXIT.failure : EXIT.ok;
}

function batchSize(ctx: Context): number {
  const raw = stringOption(ctx.values, 'batch');
  if (raw === undefined) {
    return 1000;
  }
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 10_000) {
    throw new UsageError('--batch must be a whole number from 1 to 10000');
  }
  return n;
}

/** `ward send [file|-]` */
export async function send(ctx: Context): Promise<number> {
  const file = ctx.positionals[0];
  const size = batchSize(ctx);
  let text: string;
  let source: string;
  if (file === undefined || file === '-') {
    if (ctx.stdin.isTTY === true) {
      throw new UsageError('give a file, or pipe records into `ward send -`');
    }
    text = await readStdin(ctx.stdin);
    source = 'stdin';
  } else {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
    }
    source = file;
  }
  const parsed = parseTelemetry(text, source);
  const { problems } = parsed;
  const records =
    ctx.values['now'] === true ? rebase(parsed.records, Date.now()).records : parsed.records;
  if (records.length === 0) {
    throw new CliError(
      `no records in ${source}${problems.length > 0 ? ` (${problems.length} unreadable lines)` : ''}`,
    );
  }
  const sink = sinkOf(ctx);
  const bar = new ProgressBar(ctx.err, records.length);
  let answer = EMPTY_ANSWER;
  try {
    for (let i = 0; i < records.length; i += size) {
      answer = addAnswers(answer, await sink.send(records.slice(i, i + size), ctx.signal));
      bar.update(Math.min(records.length, i + size));
    }
  } finally {
    bar.finish();
    await sink.close();
  }
  return report(ctx, answer, problems, sink.description);
}

const TELEMETRY_EXTENSIONS = new Set(['.jsonl', '.ndjson', '.json']);

/** Telemetry files under a folder (recursively), or the one file given. */
export function telemetryFiles(path: string): string[] {
  const stat = statSync(path);
  if (stat.isFile()) {
    return [path];
  }
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      out.push(...telemetryFiles(full));
    } else if (
      TELEMETRY_EXTENSIONS.has(extname(entry.name)) &&
      !entry.name.endsWith('.expected.json')
    ) {
      out.push(full);
    }
  }
  return out;
}

/** `ward replay <folder>` */
export async function replay(ctx: Context): Promise<number> {
  const folder = ctx.positionals[0]!;
  const speed = parseSpeed(stringOption(ctx.values, 'speed'), 60);
  if (speed === undefined) {
    throw new UsageError(
      '--speed must be a positive number (event-time seconds per second) or max',
    );
  }
  let files: string[];
  try {
    files = telemetryFiles(folder);
  } catch (error) {
    throw new CliError(`cannot read ${folder}: ${(error as Error).message}`);
  }
  const all: TelemetryRecord[] = [];
  const problems: ParseProblem[] = [];
  for (const f of files) {
    const parsed = parseTelemetry(readFileSync(f, 'utf8'), relative(process.cwd(), f) || f);
    all.push(...parsed.records);
    problems.push(...parsed.problems);
  }
  if (all.length === 0) {
    throw new CliError(
      `no telemetry records in ${folder} (looked for .jsonl, .ndjson and .json files)`,
    );
  }
  const ordered = byEventTime(ctx.values['now'] === true ? rebase(all, Date.now()).records : all);
  const batches = paceBatches(ordered, speed);
  const times = ordered
    .map((r) => eventTimeMs(r.value))
    .filter((t): t is number => t !== undefined);
  const span = times.length > 1 ? times.at(-1)! - times[0]! : 0;
  const sink = sinkOf(ctx);
  if (!ctx.json) {
    ctx.err.line(
      `replaying ${ordered.length} records from ${files.length} file${files.length === 1 ? '' : 's'}, ${formatSpan(span)} of event time, ${speed === Infinity ? 'as fast as possible' : `at ${speed}× (about ${formatSpan(span / speed)})`}`,
    );
  }
  const bar = new ProgressBar(ctx.err, ordered.length);
  const started = Date.now();
  let done = 0;
  let answer = EMPTY_ANSWER;
  try {
    for (const batch of batches) {
      const wait = started + batch.atMs - Date.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      if (ctx.signal.aborted) {
        break;
      }
      answer = addAnswers(answer, await sink.send(batch.records, ctx.signal));
      done += batch.records.length;
      bar.update(done, eventTimeMs(batch.records.at(-1)!.value));
    }
  } finally {
    bar.update(done, undefined, true);
    bar.finish();
    await sink.close();
  }
  const code = report(ctx, answer, problems, sink.description);
  if (ctx.signal.aborted) {
    ctx.err.line(`stopped after ${done} of ${ordered.length} records`);
    return EXIT.failure;
  }
  return code;
}

export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) {
    return `${s} s`;
  }
  if (s < 7200) {
    return `${Math.round(s / 60)} min`;
  }
  return `${(s / 3600).toFixed(1)} h`;
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CliConfig, ROOT } from '../cli/config';
import { CliError } from '../cli/errors';
import { type TelemetryRecord } from '../telemetry/telemetry';
import { failure, ServiceClient, unreachable } from './api.client';
import { type KafkaHandle } from './kafka.client';

export const KEY_CACHE = join(ROOT, '.ward/cli-keys.json');

export interface IngestAnswer {
  readonly accepted: number;
  readonly rejected: number;
  readonly duplicates: number;
  readonly alerts: number;
  readonly rejections: {
    readonly source: string;
    readonly line: number;
    readonly reason: string;
  }[];
}

export const EMPTY_ANSWER: IngestAnswer = {
  accepted: 0,
  rejected: 0,
  duplicates: 0,
  alerts: 0,
  rejections: [],
};

export function addAnswers(a: IngestAnswer, b: IngestAnswer): IngestAnswer {
  return {
    accepted: a.accepted + b.accepted,
    rejected: a.rejected + b.rejected,
    duplicates: a.duplicates + b.duplicates,
    alerts: a.alerts + b.alerts,
    rejections: [...a.rejections, ...b.rejections].slice(0, 100),
  };
}

export interface TelemetrySink {
  readonly description: string;
  send(records: readonly TelemetryRecord[], signal?: AbortSignal): Promise<IngestAnswer>;
  close(): Promise<void>;
}

function readCache(path: string): Record<string, string> {
  try {
    return existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>)
      : {};
  } catch {
    return {};
  }
}

/**
 * The tenant's ingest API key: --api-key / WARD_API_KEY, else one this
 * machine's ward created earlier (.ward/cli-keys.json, mode 600), else a new
 * one made with INGEST_ADMIN_TOKEN, as `npm run api-key -- create` would.
 */
export class ApiKeys {
  constructor(
    private readonly config: CliConfig,
    private readonly cachePath = KEY_CACHE,
  ) {}

  private slot(tenant: string): string {
    return `${this.config.services.ingest.url} ${tenant}`;
  }

  async keyFor(tenant: string, fresh = false): Promise<string> {
    if (this.config.apiKey !== undefined) {
      return this.config.apiKey;
    }
    const cache = readCache(this.cachePath);
    const cached = cache[this.slot(tenant)];
    if (cached !== undefined && !fresh) {
      return cached;
    }
    if (this.config.services.ingest.token === undefined) {
      throw new CliError(
        `no ingest API key for tenant "${tenant}"`,
        'pass --api-key (from `npm run -s api-key -- create --tenant ' +
          tenant +
          ' --name me`) or set INGEST_ADMIN_TOKEN so ward can create one (`npm start` does)',
      );
    }
    const created = await new ServiceClient(this.config.services.ingest).post<{ key: string }>(
      '/api-keys',
      { tenantId: tenant, name: 'ward-cli', roles: ['ingest'] },
    );
    mkdirSync(dirname(this.cachePath), { recursive: true });
    writeFileSync(
      this.cachePath,
      `${JSON.stringify({ ...cache, [this.slot(tenant)]: created.key }, null, 2)}\n`,
      { mode: 0o600 },
    );
    return created.key;
  }
}

interface RawAnswer {
  accepted?: number;
  rejected?: number | { index?: number; line?: number; code?: string; reasons?: string[] }[];
  duplicates?: number;
  alerts?: number;
  errors?: { index?: number; line?: number; code?: string; reasons?: string[] }[];
}

/** Turns ingest's 202/422 body into counts, each rejection pointed back at its file and line. */
export function readIngestAnswer(body: RawAnswer, batch: readonly TelemetryRecord[]): IngestAnswer {
  const list = Array.isArray(body.rejected) ? body.rejected : (body.errors ?? []);
  const rejected = typeof body.rejected === 'number' ? body.rejected : list.length;
  return {
    accepted: body.accepted ?? 0,
    rejected,
    duplicates: body.duplicates ?? 0,
    alerts: body.alerts ?? 0,
    rejections: list.map((r) => {
      const i = r.index ?? (r.line !== undefined ? r.line - 1 : 0);
      const rec = batch[i];
      return {
        source: rec?.source ?? '?',
        line: rec?.line ?? i + 1,
        reason: `${r.code ?? 'rejected'}${r.reasons?.length ? `: ${r.reasons.join('; ')}` : ''}`,
      };
    }),
  };
}

/** POST /v1/events as NDJSON with the tenant's key; 429 and 503 are waited out (Retry-After). */
export class HttpSink implements TelemetrySink {
  readonly description: string;
  private key: string | undefined;

  constructor(
    private readonly config: CliConfig,
    private readonly tenant: string,
    private readonly keys = new ApiKeys(config),
  ) {
    this.description = `sentinel-ingest ${config.services.ingest.url}/v1/events (tenant ${tenant})`;
  }

  async send(records: readonly TelemetryRecord[], signal?: AbortSignal): Promise<IngestAnswer> {
    const endpoint = this.config.services.ingest;
    const body = records.map((r) => JSON.stringify(r.value)).join('\n') + '\n';
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      this.key ??= await this.keys.keyFor(this.tenant);
      let res: Response;
      try {
        res = await fetch(`${endpoint.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${this.key}` },
          body,
          signal: signal
            ? AbortSignal.any([signal, AbortSignal.timeout(30_000)])
            : AbortSignal.timeout(30_000),
        });
      } catch (error) {
        if (signal?.aborted) {
          throw error;
        }
        throw unreachable(endpoint, error);
      }
      const text = await res.text();
      if (res.status === 202 || res.status === 422) {
        return readIngestAnswer(JSON.parse(text) as RawAnswer, records);
      }
      if (res.status === 401 && !renewed && this.config.apiKey === undefined) {
        // A remembered key that was revoked, or a database that was reset: make a new one once.
        renewed = true;
        this.key = await this.keys.keyFor(this.tenant, true);
        continue;
      }
      if ((res.status === 429 || res.status === 503) && attempt < 10) {
        const wait = Math.min(10, Number(res.headers.get('retry-after') ?? '1') || 1);
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
        continue;
      }
      if (res.status === 401) {
        throw new CliError(
          `sentinel-ingest refused the API key for tenant "${this.tenant}"`,
          'check --api-key / WARD_API_KEY, or create one: npm run -s api-key -- create --tenant ' +
            this.tenant +
            ' --name me',
        );
      }
      throw failure({ ...endpoint }, res.status, text);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Produces to ward.telemetry.raw.v1 keyed by agent. Records of Ward's own
 * shape without a tenant get the command's tenant (OTLP and MCP records keep
 * theirs). Kafka gives no per-record answer: ingest dead-letters bad ones.
 */
export class KafkaSink implements TelemetrySink {
  readonly description: string;
  private readonly producer;

  constructor(
    private readonly handle: KafkaHandle,
    private readonly tenant: string,
  ) {
    this.description = `Kafka ${handle.brokers.join(',')} topic ${handle.topics.telemetryRaw.name}`;
    this.producer = handle.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  private connected: Promise<void> | undefined;

  async send(records: readonly TelemetryRecord[]): Promise<IngestAnswer> {
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.send({
      topic: this.handle.topics.telemetryRaw.name,
      messages: records.map((r) => {
        const v = r.value;
        const own = typeof v['agentId'] === 'string' && v['resourceSpans'] === undefined;
        const value = own && v['tenantId'] === undefined ? { ...v, tenantId: this.tenant } : v;
        return {
          key: typeof v['agentId'] === 'string' ? v['agentId'] : null,
          value: JSON.stringify(value),
        };
      }),
    });
    return { ...EMPTY_ANSWER, accepted: records.length };
  }

  async close(): Promise<void> {
    if (this.connected) {
      await this.producer.disconnect();
    }
  }
}

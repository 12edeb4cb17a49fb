import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type IntelEntry, IntelIndex, parseCsvFeed, parseStixBundle } from '@ward/detectors';
import { MetricsService } from '@ward/observability';
import { outboundFetch } from '@ward/playbooks';
import { lookup } from 'node:dns/promises';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Counter, type Gauge } from 'prom-client';
import { FUSION_CONFIG, type FusionConfig } from '../config/fusion.config';

const MAX_FEED_BYTES = 64 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 15_000;

interface FeedState {
  /** File mtime and size, or the HTTP validators, of the version loaded. */
  version?: string;
  entries: IntelEntry[];
}

/**
 * The threat-intel feeds of FUSION_INTEL_FEEDS, each a file or an http(s)
 * URL, checked every FUSION_INTEL_REFRESH_SECONDS and reloaded when they
 * change (file mtime and size; HTTP ETag and Last-Modified). A feed that fails
 * to load keeps its last good entries. Listeners hear of every new index.
 */
@Injectable()
export class IntelService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IntelService.name);
  private readonly feeds = new Map<string, FeedState>();
  private index = new IntelIndex([]);
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((index: IntelIndex) => Promise<void>)[] = [];
  private readonly entriesGauge: Gauge<'feed'>;
  private readonly reloads: Counter<'result'>;
  private refreshing: Promise<void> | undefined;

  constructor(
    @Inject(FUSION_CONFIG) private readonly config: FusionConfig,
    metrics: MetricsService,
  ) {
    this.entriesGauge = metrics.gauge({
      name: 'ward_fusion_intel_entries',
      help: 'Indicators loaded per threat-intel feed.',
      labelNames: ['feed'],
    });
    this.reloads = metrics.counter({
      name: 'ward_fusion_intel_reloads_total',
      help: 'Threat-intel feed checks, by result (loaded, unchanged, failed).',
      labelNames: ['result'],
    });
    for (const feed of config.intel.feeds) {
      this.feeds.set(feed, { entries: [] });
    }
  }

  get current(): IntelIndex {
    return this.index;
  }

  onChange(listener: (index: IntelIndex) => Promise<void>): void {
    this.listeners.push(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.feeds.size === 0) {
      return;
    }
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger.warn(`refreshing threat-intel feeds failed: ${String(error)}`),
      );
    }, this.config.intel.refreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Checks every feed once; rebuilds the index and tells the listeners when one changed. */
  async refresh(): Promise<void> {
    if (this.refreshing !== undefined) {
      return this.refreshing;
    }
    this.refreshing = this.refreshFeeds().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshFeeds(): Promise<void> {
    let changed = false;
    for (const [feed, state] of this.feeds) {
      try {
        const loaded = await this.load(feed, state.version);
        if (loaded === undefined) {
          this.reloads.inc({ result: 'unchanged' });
          continue;
        }
        const name = feedName(feed);
        const parsed = feed.toLowerCase().split('?')[0]!.endsWith('.json')
          ? parseStixBundle(loaded.text, name, Date.now(), this.config.intel.defaultConfidence)
          : parseCsvFeed(loaded.text, name, this.config.intel.defaultConfidence);
        for (const problem of parsed.problems.slice(0, 10)) {
          this.logger.warn(`intel feed ${name}: ${problem}`);
        }
        state.version = loaded.version;
        state.entries = parsed.entries;
        this.entriesGauge.set({ feed: name }, parsed.entries.length);
        this.reloads.inc({ result: 'loaded' });
        this.logger.log(
          `intel feed ${name}: ${parsed.entries.length} indicators${parsed.problems.length > 0 ? `, ${parsed.problems.length} skipped` : ''}`,
        );
        changed = true;
      } catch (error) {
        this.reloads.inc({ result: 'failed' });
        this.logger.warn(
          `intel feed ${feedName(feed)} not loaded (keeping ${state.entries.length} indicators): ${(error as Error).message}`,
        );
      }
    }
    if (changed) {
      this.index = new IntelIndex([...this.feeds.values()].flatMap((s) => s.entries));
      for (const listener of this.listeners) {
        await listener(this.index);
      }
    }
  }

  /** The feed's text when it changed since `version`, else undefined. */
  private async load(
    feed: string,
    version: string | undefined,
  ): Promise<{ text: string; version: string } | undefined> {
    if (/^https?:\/\//i.test(feed)) {
      const headers: Record<string, string> = {};
      const [etag, modified] =
        version === undefined || version.startsWith('body:') ? [] : version.split('\u001f');
      if (etag) {
        headers['if-none-match'] = etag;
      }
      if (modified) {
        headers['if-modified-since'] = modified;
      }
      // Allow-listed, checked after DNS and at every redirect, pinned to the checked addresses.
      const res = await outboundFetch(
        feed,
        { method: 'GET', headers, timeoutMs: FETCH_TIMEOUT_MS, maxBytes: MAX_FEED_BYTES },
        this.config.intel.outbound,
        async (host) => (await lookup(host, { all: true })).map((a) => a.address),
      );
      if (res.status === 304) {
        return undefined;
      }
      if (res.status < 200 || res.status >= 300) {
        throw new Error(`HTTP ${res.status}`);
      }
      const text = res.body;
      const header = (name: string) => {
        const value = res.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const validators = `${header('etag') ?? ''}\u001f${header('last-modified') ?? ''}`;
      // Without validators, the body itself tells whether the feed changed.
      const next = validators === '\u001f' ? `body:${text.length}:${hashOf(text)}` : validators;
      return next === version ? undefined : { text, version: next };
    }
    const info = await stat(feed);
    if (info.size > MAX_FEED_BYTES) {
      throw new Error(`larger than ${MAX_FEED_BYTES} bytes`);
    }
    const next = `${info.mtimeMs}:${info.size}`;
    if (next === version) {
      return undefined;
    }
    return { text: await readFile(feed, 'utf8'), version: next };
  }
}

function feedName(feed: string): string {
  if (/^https?:\/\//i.test(feed)) {
    const url = new URL(feed);
    return `${url.host}${url.pathname}`;
  }
  return basename(feed);
}

function hashOf(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  }
  return (h >>> 0).toString(16);
}

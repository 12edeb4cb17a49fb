import { type IndicatorType, type IntelMatch } from '@ward/contracts';
import {
  ipv4ToNumber,
  normalizeDomain,
  normalizeIndicator,
  parentDomains,
  urlHost,
} from './indicators';

/** One entry of a threat-intel feed. `value` is normalized; an IPv4 entry may be a CIDR range. */
export interface IntelEntry {
  readonly type: IndicatorType;
  readonly value: string;
  readonly feed: string;
  readonly source: string;
  readonly confidence: number;
  readonly description?: string;
}

export interface FeedParse {
  readonly entries: IntelEntry[];
  /** Lines or objects skipped, with why (`line 7: ...`, `indicator--...: ...`). */
  readonly problems: string[];
}

const MAX_PROBLEMS = 100;

const TYPE_ALIASES: Record<string, IndicatorType> = {
  ip: 'ip',
  ipv4: 'ip',
  ipv6: 'ip',
  'ipv4-addr': 'ip',
  'ipv6-addr': 'ip',
  cidr: 'ip',
  domain: 'domain',
  hostname: 'domain',
  'domain-name': 'domain',
  fqdn: 'domain',
  url: 'url',
  uri: 'url',
  hash: 'hash',
  md5: 'hash',
  sha1: 'hash',
  sha256: 'hash',
  'sha-256': 'hash',
  'file-hash': 'hash',
};

/** What an indicator with no type column looks like it is. */
export function inferIndicatorType(value: string): IndicatorType | undefined {
  const v = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    return 'url';
  }
  if (
    ipv4ToNumber(v.split('/')[0]!) !== undefined ||
    (v.includes(':') && /^[0-9a-f:]+$/i.test(v))
  ) {
    return 'ip';
  }
  if (/^[A-Fa-f0-9]{32}$|^[A-Fa-f0-9]{40}$|^[A-Fa-f0-9]{64}$|^[A-Fa-f0-9]{128}$/.test(v)) {
    return 'hash';
  }
  return normalizeDomain(v) === undefined ? undefined : 'domain';
}

/** A normalized entry value, accepting IPv4 CIDR ranges. */
function entryValue(type: IndicatorType, raw: string): string | undefined {
  if (type === 'ip' && raw.includes('/')) {
    const [base, bits] = raw.trim().split('/');
    const n = ipv4ToNumber(base ?? '');
    const b = Number(bits);
    if (n === undefined || !/^\d{1,2}$/.test(bits ?? '') || b > 32) {
      return undefined;
    }
    const network = b === 0 ? 0 : (n >>> (32 - b)) << (32 - b);
    return `${numberToIpv4(network >>> 0)}/${b}`;
  }
  return normalizeIndicator(type, raw);
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Splits one CSV line (RFC 4180 quoting). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"' && cell === '') {
      quoted = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else {
      cell += c;
    }
  }
  cells.push(cell);
  return cells.map((s) => s.trim());
}

function confidenceOf(raw: string | undefined, fallback: number): number | undefined {
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    return undefined;
  }
  return Math.round(n <= 1 && raw.includes('.') ? n * 100 : n);
}

/**
 * A CSV indicator list. With a header row, the columns `indicator` (or
 * `value`, `ioc`), `type`, `confidence` (0..100, or 0..1), `source` and
 * `description` are read by name; without one, the first column is the
 * indicator and its type is inferred. `#` starts a comment line.
 */
export function parseCsvFeed(text: string, feed: string, defaultConfidence = 50): FeedParse {
  const entries: IntelEntry[] = [];
  const problems: string[] = [];
  const problem = (p: string) => {
    if (problems.length < MAX_PROBLEMS) {
      problems.push(p);
    }
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let columns: Record<string, number> | undefined;
  lines.forEach((line, index) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) {
      return;
    }
    const cells = splitCsvLine(line);
    if (columns === undefined) {
      const names = cells.map((c) => c.toLowerCase());
      const at = (...aliases: string[]) => names.findIndex((n) => aliases.includes(n));
      const indicator = at('indicator', 'value', 'ioc', 'observable');
      if (indicator >= 0) {
        columns = {
          indicator,
          type: at('type', 'indicator_type', 'kind'),
          confidence: at('confidence', 'score'),
          source: at('source', 'provider', 'author'),
          description: at('description', 'comment', 'note', 'threat'),
        };
        return;
      }
      columns = { indicator: 0, type: -1, confidence: -1, source: -1, description: -1 };
    }
    const cell = (name: string) => {
      const i = columns![name]!;
      return i >= 0 ? cells[i] : undefined;
    };
    const raw = cell('indicator') ?? '';
    const declared = cell('type');
    const type =
      declared !== undefined && declared !== ''
        ? TYPE_ALIASES[declared.toLowerCase()]
        : inferIndicatorType(raw);
    if (type === undefined) {
      problem(`line ${index + 1}: unknown indicator type ${JSON.stringify(declared ?? raw)}`);
      return;
    }
    const value = entryValue(type, raw);
    if (value === undefined) {
      problem(`line ${index + 1}: not a valid ${type}: ${JSON.stringify(raw.slice(0, 100))}`);
      return;
    }
    const confidence = confidenceOf(cell('confidence'), defaultConfidence);
    if (confidence === undefined) {
      problem(`line ${index + 1}: confidence must be 0..100 (or 0..1)`);
      return;
    }
    const description = cell('description');
    entries.push({
      type,
      value,
      feed,
      source: cell('source') || feed,
      confidence,
      ...(description ? { description: description.slice(0, 1000) } : {}),
    });
  });
  return { entries, problems };
}

const STIX_OBSERVABLES: Record<string, IndicatorType> = {
  'ipv4-addr:value': 'ip',
  'ipv6-addr:value': 'ip',
  'domain-name:value': 'domain',
  'url:value': 'url',
};

/**
 * A STIX 2.1 bundle: every `indicator` object with `pattern_type` stix whose
 * pattern compares IPs, domains, URLs or file hashes with `=` (joined by OR or
 * AND; each comparison becomes an entry). Revoked and expired indicators
 * (`valid_until` before `nowMs`) are skipped; the source is the identity
 * named by `created_by_ref` when the bundle holds it.
 */
export function parseStixBundle(
  text: string,
  feed: string,
  nowMs: number,
  defaultConfidence = 50,
): FeedParse {
  const entries: IntelEntry[] = [];
  const problems: string[] = [];
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch (error) {
    return { entries, problems: [`not JSON: ${(error as Error).message}`] };
  }
  const objects = (bundle as { type?: unknown; objects?: unknown }).objects;
  if ((bundle as { type?: unknown }).type !== 'bundle' || !Array.isArray(objects)) {
    return { entries, problems: ['not a STIX bundle (type "bundle" with an objects array)'] };
  }
  const identities = new Map<string, string>();
  for (const o of objects as Record<string, unknown>[]) {
    if (o?.type === 'identity' && typeof o.id === 'string' && typeof o.name === 'string') {
      identities.set(o.id, o.name);
    }
  }
  for (const o of objects as Record<string, unknown>[]) {
    if (o?.type !== 'indicator') {
      continue;
    }
    const id = typeof o.id === 'string' ? o.id : '(indicator without id)';
    const problem = (p: string) => {
      if (problems.length < MAX_PROBLEMS) {
        problems.push(`${id}: ${p}`);
      }
    };
    if (o.revoked === true) {
      continue;
    }
    if (typeof o.valid_until === 'string' && Date.parse(o.valid_until) < nowMs) {
      continue;
    }
    if (o.pattern_type !== undefined && o.pattern_type !== 'stix') {
      problem(`pattern_type ${JSON.stringify(o.pattern_type)} is not supported`);
      continue;
    }
    if (typeof o.pattern !== 'string') {
      problem('no pattern');
      continue;
    }
    const confidence =
      typeof o.confidence === 'number' && o.confidence >= 0 && o.confidence <= 100
        ? Math.round(o.confidence)
        : defaultConfidence;
    const source =
      (typeof o.created_by_ref === 'string' && identities.get(o.created_by_ref)) || feed;
    const description =
      typeof o.name === 'string'
        ? o.name
        : typeof o.description === 'string'
          ? o.description
          : undefined;
    const comparisons = [
      ...o.pattern.matchAll(/([a-z0-9-]+:[a-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'/gi),
    ];
    let found = 0;
    for (const [, path, quoted] of comparisons) {
      const raw = quoted!.replace(/\\(.)/g, '$1');
      const key = path!.toLowerCase();
      const type: IndicatorType | undefined =
        STIX_OBSERVABLES[key] ?? (key.startsWith('file:hashes.') ? 'hash' : undefined);
      if (type === undefined) {
        continue;
      }
      const value = entryValue(type, raw);
      if (value === undefined) {
        problem(`not a valid ${type}: ${JSON.stringify(raw.slice(0, 100))}`);
        continue;
      }
      found++;
      entries.push({
        type,
        value,
        feed,
        source,
        confidence,
        ...(description ? { description: description.slice(0, 1000) } : {}),
      });
    }
    if (found === 0 && comparisons.length === 0) {
      problem(`no supported comparison in pattern ${JSON.stringify(o.pattern.slice(0, 200))}`);
    }
  }
  return { entries, problems };
}

/**
 * Every loaded feed's entries, indexed for matching: exact values, parent
 * domains (a feed entry `evil.example` matches `cdn.evil.example`), IPv4 CIDR
 * ranges, and a URL's host against the domain and IP entries.
 */
export class IntelIndex {
  private readonly exact = new Map<string, IntelEntry[]>();
  private readonly ranges: { network: number; mask: number; entry: IntelEntry }[] = [];

  constructor(entries: readonly IntelEntry[]) {
    for (const e of entries) {
      if (e.type === 'ip' && e.value.includes('/')) {
        const [base, bits] = e.value.split('/');
        const b = Number(bits);
        const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
        this.ranges.push({ network: ipv4ToNumber(base!)! >>> 0, mask, entry: e });
        continue;
      }
      const key = `${e.type}:${e.value}`;
      const list = this.exact.get(key);
      if (list === undefined) {
        this.exact.set(key, [e]);
      } else {
        list.push(e);
      }
    }
  }

  get size(): number {
    let n = this.ranges.length;
    for (const list of this.exact.values()) {
      n += list.length;
    }
    return n;
  }

  /** The feed entries an indicator matches, strongest first; empty when none. */
  match(type: IndicatorType, raw: string): IntelMatch[] {
    const value = normalizeIndicator(type, raw);
    if (value === undefined) {
      return [];
    }
    const out: IntelMatch[] = [];
    const add = (entries: readonly IntelEntry[] | undefined) => {
      for (const e of entries ?? []) {
        out.push({
          type,
          indicator: value,
          matched: e.value,
          feed: e.feed,
          source: e.source,
          confidence: e.confidence,
          ...(e.description !== undefined && { description: e.description }),
        });
      }
    };
    add(this.exact.get(`${type}:${value}`));
    const domainChecks = (domain: string) => {
      add(this.exact.get(`domain:${domain}`));
      for (const parent of parentDomains(domain)) {
        add(this.exact.get(`domain:${parent}`));
      }
    };
    const ipChecks = (ip: string) => {
      const n = ipv4ToNumber(ip);
      if (n !== undefined) {
        for (const r of this.ranges) {
          if ((n & r.mask) >>> 0 === r.network) {
            add([r.entry]);
          }
        }
      }
    };
    if (type === 'domain') {
      for (const parent of parentDomains(value)) {
        add(this.exact.get(`domain:${parent}`));
      }
    } else if (type === 'ip') {
      ipChecks(value);
    } else if (type === 'url') {
      const host = urlHost(value);
      if (host?.type === 'domain') {
        domainChecks(host.value);
      } else if (host?.type === 'ip') {
        add(this.exact.get(`ip:${host.value}`));
        ipChecks(host.value);
      }
    }
    const seen = new Set<string>();
    return out
      .filter((m) => {
        const k = `${m.feed}\u001f${m.matched}\u001f${m.source}`;
        return seen.has(k) ? false : (seen.add(k), true);
      })
      .sort((a, b) => b.confidence - a.confidence || a.feed.localeCompare(b.feed));
  }
}

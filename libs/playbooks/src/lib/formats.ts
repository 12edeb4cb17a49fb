import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Wire formats of response actions, pure so every escaping rule is unit
 * tested: CEF and LEEF for SIEMs, RFC 5424 syslog (with RFC 6587 octet
 * counting for TCP and TLS), Splunk HEC events, and HMAC-SHA256 webhook
 * signatures with a timestamp against replays.
 */

// ---------------------------------------------------------------- CEF

const cefHeader = (v: string) =>
  v
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
const cefValue = (v: string) =>
  v.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');

export interface CefEvent {
  readonly vendor: string;
  readonly product: string;
  readonly version: string;
  readonly signatureId: string;
  readonly name: string;
  /** 0..10. */
  readonly severity: number;
  readonly extension: Readonly<Record<string, string | number | undefined>>;
}

/** ArcSight Common Event Format, version 0. */
export function formatCef(e: CefEvent): string {
  const severity = Math.max(0, Math.min(10, Math.round(e.severity)));
  const ext = Object.entries(e.extension)
    .filter((kv): kv is [string, string | number] => kv[1] !== undefined)
    .map(([k, v]) => {
      if (!/^[A-Za-z0-9]+$/.test(k)) {
        throw new Error(`CEF extension key ${JSON.stringify(k)} must be alphanumeric`);
      }
      return `${k}=${cefValue(String(v))}`;
    })
    .join(' ');
  return `CEF:0|${[e.vendor, e.product, e.version, e.signatureId, e.name].map(cefHeader).join('|')}|${severity}|${ext}`;
}

// ---------------------------------------------------------------- LEEF

export interface LeefEvent {
  readonly vendor: string;
  readonly product: string;
  readonly version: string;
  readonly eventId: string;
  readonly attributes: Readonly<Record<string, string | number | undefined>>;
}

const LEEF_DELIMITER = '^';

/** IBM QRadar Log Event Extended Format 2.0, with `^` as the attribute delimiter. */
export function formatLeef(e: LeefEvent): string {
  const header = (v: string) =>
    v
      .replace(/\\/g, '\\\\')
      .replace(/\|/g, '\\|')
      .replace(/[\r\n]+/g, ' ');
  const value = (v: string) =>
    v
      .replace(/\\/g, '\\\\')
      .replace(/\^/g, '\\^')
      .replace(/\r/g, '\\r')
      .replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t');
  const attrs = Object.entries(e.attributes)
    .filter((kv): kv is [string, string | number] => kv[1] !== undefined)
    .map(([k, v]) => {
      if (!/^[A-Za-z0-9_]+$/.test(k)) {
        throw new Error(`LEEF attribute ${JSON.stringify(k)} must be alphanumeric`);
      }
      return `${k}=${value(String(v))}`;
    })
    .join(LEEF_DELIMITER);
  return `LEEF:2.0|${[e.vendor, e.product, e.version, e.eventId].map(header).join('|')}|${LEEF_DELIMITER}|${attrs}`;
}

// ---------------------------------------------------------------- syslog

export interface SyslogMessage {
  /** 0..23; 4 is security/authorization, 10 authpriv, 13 log audit. */
  readonly facility: number;
  /** 0 emergency .. 7 debug. */
  readonly severity: number;
  readonly timestamp: Date;
  readonly hostname: string;
  readonly appName: string;
  readonly procId?: string;
  readonly msgId?: string;
  /** Structured data: SD-ID → params. SD-IDs without '@' must be IANA-registered; use name@enterprise. */
  readonly structuredData?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly message?: string;
}

const printable = (v: string | undefined, max: number) => {
  if (v === undefined || v === '') {
    return '-';
  }
  const clean = v.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
};

const sdName = (v: string) => {
  if (!/^[^\s="\]]{1,32}$/.test(v) || /[^\x21-\x7e]/.test(v)) {
    throw new Error(
      `syslog SD name ${JSON.stringify(v)} must be 1-32 printable characters without space, =, ", ]`,
    );
  }
  return v;
};

/** An RFC 5424 syslog message (UTF-8 MSG with a BOM, per the RFC). */
export function formatSyslog(m: SyslogMessage): string {
  if (!Number.isInteger(m.facility) || m.facility < 0 || m.facility > 23) {
    throw new Error('syslog facility must be 0..23');
  }
  if (!Number.isInteger(m.severity) || m.severity < 0 || m.severity > 7) {
    throw new Error('syslog severity must be 0..7');
  }
  const sd =
    m.structuredData === undefined || Object.keys(m.structuredData).length === 0
      ? '-'
      : Object.entries(m.structuredData)
          .map(
            ([id, params]) =>
              `[${sdName(id)}${Object.entries(params)
                .map(([k, v]) => ` ${sdName(k)}="${v.replace(/[\\"\]]/g, (c) => `\\${c}`)}"`)
                .join('')}]`,
          )
          .join('');
  const head = `<${m.facility * 8 + m.severity}>1 ${m.timestamp.toISOString()} ${printable(m.hostname, 255)} ${printable(m.appName, 48)} ${printable(m.procId, 128)} ${printable(m.msgId, 32)} ${sd}`;
  return m.message === undefined || m.message === '' ? head : `${head} \uFEFF${m.message}`;
}

/** RFC 6587 octet-counting frame for syslog over TCP or TLS. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

// ---------------------------------------------------------------- Splunk HEC

export interface HecEvent {
  readonly time: Date;
  readonly host: string;
  readonly source: string;
  readonly sourcetype: string;
  readonly index?: string;
  readonly event: unknown;
}

/** The JSON body of one event for Splunk's HTTP Event Collector (`/services/collector/event`). */
export function formatHec(e: HecEvent): string {
  return JSON.stringify({
    time: Math.round(e.time.getTime()) / 1000,
    host: e.host,
    source: e.source,
    sourcetype: e.sourcetype,
    ...(e.index !== undefined && { index: e.index }),
    event: e.event,
  });
}

// ---------------------------------------------------------------- webhook signatures

export const SIGNATURE_HEADER = 'x-ward-signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The receiver
 * recomputes it with the shared secret, refuses a timestamp outside its
 * tolerance, and remembers signatures it has seen to refuse replays.
 */
export function signWebhook(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

export type SignatureCheck =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: string };

export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string,
  nowMs: number,
  options: { readonly toleranceSeconds: number; readonly seen?: Set<string> },
): SignatureCheck {
  const match = /^t=(\d{1,12}),v1=([a-f0-9]{64})$/.exec(header ?? '');
  if (match === null) {
    return { ok: false, reason: 'missing or malformed signature header' };
  }
  const t = Number(match[1]);
  if (Math.abs(nowMs / 1000 - t) > options.toleranceSeconds) {
    return { ok: false, reason: 'timestamp outside the tolerance' };
  }
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(match[2]!, 'hex');
  if (!timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'signature does not match' };
  }
  if (options.seen !== undefined) {
    if (options.seen.has(header!)) {
      return { ok: false, reason: 'replayed' };
    }
    options.seen.add(header!);
  }
  return { ok: true, timestamp: t };
}

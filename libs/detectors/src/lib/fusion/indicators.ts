import { type IndicatorType } from '@ward/contracts';

/**
 * Canonical forms of indicators, so that the same IP, domain, URL or hash
 * written differently (case, trailing dot, default port, IPv4-mapped IPv6)
 * correlates and matches as one.
 */
export function normalizeIndicator(type: IndicatorType, value: string): string | undefined {
  const v = value.trim();
  if (v === '' || v.length > 2048) {
    return undefined;
  }
  switch (type) {
    case 'ip':
      return normalizeIp(v);
    case 'domain':
      return normalizeDomain(v);
    case 'url':
      return normalizeUrl(v);
    case 'hash':
      return /^[A-Fa-f0-9]{32,128}$/.test(v) ? v.toLowerCase() : undefined;
  }
}

function normalizeIp(v: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(v);
  const text = mapped ? mapped[1]! : v;
  if (ipv4ToNumber(text) !== undefined) {
    return text
      .split('.')
      .map((p) => String(Number(p)))
      .join('.');
  }
  return /^[0-9A-Fa-f:]+$/.test(text) && text.includes(':') ? text.toLowerCase() : undefined;
}

export function normalizeDomain(v: string): string | undefined {
  const d = v.toLowerCase().replace(/\.$/, '');
  return /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$/.test(d)
    ? d
    : undefined;
}

function normalizeUrl(v: string): string | undefined {
  try {
    const url = new URL(v);
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'ftp:') {
      return undefined;
    }
    url.hash = '';
    return url.toString();
  } catch {
    return undefined;
  }
}

/** The host of a URL as a normalized domain or IP, for matching URLs against domain and IP feeds. */
export function urlHost(url: string): { type: 'domain' | 'ip'; value: string } | undefined {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const ip = normalizeIp(host);
    if (ip !== undefined) {
      return { type: 'ip', value: ip };
    }
    const domain = normalizeDomain(host);
    return domain === undefined ? undefined : { type: 'domain', value: domain };
  } catch {
    return undefined;
  }
}

export function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return undefined;
  }
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) {
      return undefined;
    }
    n = n * 256 + Number(p);
  }
  return n;
}

/** Every parent of a domain, nearest first: a.b.example.com → b.example.com, example.com. */
export function parentDomains(domain: string): string[] {
  const labels = domain.split('.');
  const out: string[] = [];
  for (let i = 1; i < labels.length - 1; i++) {
    out.push(labels.slice(i).join('.'));
  }
  return out;
}

/** What an alert carries of the event behind it, for fusion to correlate and graph. */
export interface AlertContext {
  requesterId?: string;
  tools?: string[];
  resources?: string[];
  iocs?: {
    ips?: string[];
    domains?: string[];
    urls?: string[];
    hashes?: string[];
  };
}

/** The requester, tool, resource and indicators of an event, bounded as ThreatAlert allows. */
export function alertContextOf(event: {
  readonly requesterId?: string;
  readonly action: string;
  readonly resource?: string;
  readonly iocs?: AlertContext['iocs'];
}): AlertContext {
  const cap = (values: readonly string[] | undefined, max: number) =>
    values === undefined || values.length === 0
      ? undefined
      : values.slice(0, 64).map((v) => v.slice(0, max));
  const iocs = {
    ...(cap(event.iocs?.ips, 64) && { ips: cap(event.iocs?.ips, 64) }),
    ...(cap(event.iocs?.domains, 253) && { domains: cap(event.iocs?.domains, 253) }),
    ...(cap(event.iocs?.urls, 2048) && { urls: cap(event.iocs?.urls, 2048) }),
    ...(cap(event.iocs?.hashes, 128) && { hashes: cap(event.iocs?.hashes, 128) }),
  };
  return {
    ...(event.requesterId !== undefined && { requesterId: event.requesterId }),
    tools: [event.action.slice(0, 256)],
    ...(event.resource !== undefined && { resources: [event.resource.slice(0, 2048)] }),
    ...(Object.keys(iocs).length > 0 && { iocs }),
  };
}

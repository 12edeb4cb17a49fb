import { isIP } from 'node:net';

/**
 * Where response actions may send: hosts on an allow-list, and, unless
 * private destinations are allowed, only public addresses, checked on the
 * addresses the host resolves to (so a public name pointing at 127.0.0.1 or
 * the cloud metadata address is refused too). The resolver is injected.
 */
export type AddressClass =
  'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

export interface OutboundPolicy {
  /** Exact host names, or `*.example.com` for any subdomain. Empty: nothing is allowed. */
  readonly allowHosts: readonly string[];
  readonly allowPrivate: boolean;
}

export type OutboundCheck =
  | { readonly ok: true; readonly addresses: readonly string[] }
  | { readonly ok: false; readonly reason: string };

function v4(ip: string): number[] {
  return ip.split('.').map(Number);
}

function inV4(ip: string, base: string, bits: number): boolean {
  const a = v4(ip);
  const b = v4(base);
  const n = (x: number[]) => ((x[0]! << 24) | (x[1]! << 16) | (x[2]! << 8) | x[3]!) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (n(a) & mask) >>> 0 === (n(b) & mask) >>> 0;
}

/** Expands an IPv6 address to eight 16-bit groups. */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = v4(tail[1]!);
    text =
      text.slice(0, -tail[1]!.length) +
      `${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined ? (rest ? rest.split(':') : []) : [];
  const fill = rest !== undefined ? 8 - h.length - r.length : 0;
  return [...h, ...Array<string>(fill).fill('0'), ...r].map((g) => parseInt(g || '0', 16));
}

export function classifyAddress(ip: string): AddressClass {
  if (isIP(ip) === 4) {
    if (inV4(ip, '0.0.0.0', 8)) {
      return 'unspecified';
    }
    if (inV4(ip, '127.0.0.0', 8)) {
      return 'loopback';
    }
    if (inV4(ip, '169.254.0.0', 16)) {
      return 'link-local';
    }
    if (inV4(ip, '10.0.0.0', 8) || inV4(ip, '172.16.0.0', 12) || inV4(ip, '192.168.0.0', 16)) {
      return 'private';
    }
    if (inV4(ip, '100.64.0.0', 10)) {
      return 'private';
    }
    if (inV4(ip, '224.0.0.0', 4)) {
      return 'multicast';
    }
    if (inV4(ip, '240.0.0.0', 4) || inV4(ip, '192.0.0.0', 24) || inV4(ip, '198.18.0.0', 15)) {
      return 'reserved';
    }
    return 'public';
  }
  if (isIP(ip) === 6) {
    const g = v6Groups(ip);
    if (g.every((x) => x === 0)) {
      return 'unspecified';
    }
    if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) {
      return 'loopback';
    }
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
      return classifyAddress(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`);
    }
    if ((g[0]! & 0xffc0) === 0xfe80) {
      return 'link-local';
    }
    if ((g[0]! & 0xfe00) === 0xfc00) {
      return 'private';
    }
    if ((g[0]! & 0xff00) === 0xff00) {
      return 'multicast';
    }
    if (g[0] === 0x2001 && g[1] === 0x0db8) {
      return 'reserved';
    }
    return 'public';
  }
  return 'reserved';
}

export function hostAllowed(host: string, allowHosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowHosts.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('*.') ? h.endsWith(e.slice(1)) && h.length > e.length - 1 : h === e;
  });
}

/** Checks one destination host (from a URL or a host:port) against the policy. */
export async function checkDestination(
  host: string,
  policy: OutboundPolicy,
  resolve: (host: string) => Promise<readonly string[]>,
): Promise<OutboundCheck> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (!hostAllowed(bare, policy.allowHosts)) {
    return { ok: false, reason: `${bare} is not on the outbound allow-list` };
  }
  let addresses: readonly string[];
  if (isIP(bare) !== 0) {
    addresses = [bare];
  } else {
    try {
      addresses = await resolve(bare);
    } catch (error) {
      return { ok: false, reason: `${bare} does not resolve: ${(error as Error).message}` };
    }
    if (addresses.length === 0) {
      return { ok: false, reason: `${bare} does not resolve` };
    }
  }
  if (!policy.allowPrivate) {
    for (const a of addresses) {
      const kind = classifyAddress(a);
      if (kind !== 'public') {
        return {
          ok: false,
          reason: `${bare} resolves to ${a}, a ${kind} address (private destinations are not allowed)`,
        };
      }
    }
  }
  return { ok: true, addresses };
}

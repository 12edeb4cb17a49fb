import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { checkDestination, type OutboundPolicy } from './outbound';

/**
 * HTTP to an outside destination (webhooks, SIEMs, threat-intel feeds) under
 * an OutboundPolicy, checked at every hop: each URL's host must be on the
 * allow-list and, unless private destinations are allowed, resolve only to
 * public addresses; the connection then goes to exactly the addresses that
 * were checked (no second DNS answer can rebind it to 127.0.0.1 or the cloud
 * metadata address). Redirects are followed by hand, each hop checked the same
 * way; https never downgrades to http, credentials never cross to another
 * origin, and a POST follows only 307/308 (which keep its method and body).
 */
export class OutboundRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'OutboundRefusedError';
  }
}

export interface OutboundRequest {
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** A larger response body is an error. */
  readonly maxBytes: number;
  readonly maxRedirects?: number;
}

export interface OutboundResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The URL that answered, after redirects. */
  readonly url: string;
}

export type Resolve = (host: string) => Promise<readonly string[]>;

/** Sends one request to `url`, connecting only to `addresses`. */
export type PinnedSend = (
  url: URL,
  addresses: readonly string[],
  request: OutboundRequest,
) => Promise<OutboundResponse>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_REDIRECTS = 5;
/** Headers that carry credentials: dropped when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

export async function outboundFetch(
  url: string,
  request: OutboundRequest,
  policy: OutboundPolicy,
  resolve: Resolve,
  send: PinnedSend = pinnedSend,
): Promise<OutboundResponse> {
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new OutboundRefusedError(`not a URL: ${url}`);
  }
  let currentRequest = request;
  const maxRedirects = request.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'https:' && current.protocol !== 'http:') {
      throw new OutboundRefusedError(`${current.protocol} URLs are not allowed`);
    }
    if (current.username !== '' || current.password !== '') {
      throw new OutboundRefusedError('URLs with credentials are not allowed');
    }
    const check = await checkDestination(current.hostname, policy, resolve);
    if (!check.ok) {
      throw new OutboundRefusedError(
        hop === 0 ? check.reason : `redirect refused: ${check.reason}`,
      );
    }
    const response = await send(current, check.addresses, currentRequest);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.status) || typeof location !== 'string') {
      return response;
    }
    if (hop >= maxRedirects) {
      throw new OutboundRefusedError(`more than ${maxRedirects} redirects`);
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new OutboundRefusedError(`redirect to an invalid URL: ${location}`);
    }
    if (current.protocol === 'https:' && next.protocol !== 'https:') {
      throw new OutboundRefusedError(`redirect from https to ${next.protocol} refused`);
    }
    if (currentRequest.method === 'POST' && response.status !== 307 && response.status !== 308) {
      throw new OutboundRefusedError(
        `a ${response.status} redirect would turn the POST into a GET and drop its body; refused`,
      );
    }
    if (next.origin !== current.origin) {
      const headers = Object.fromEntries(
        Object.entries(currentRequest.headers ?? {}).filter(
          ([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()),
        ),
      );
      currentRequest = { ...currentRequest, headers };
    }
    current = next;
  }
}

/** node:http(s) with the connection pinned to the checked addresses; TLS still verifies the host name. */
export const pinnedSend: PinnedSend = (url, addresses, request) =>
  new Promise((resolvePromise, reject) => {
    const lookup: LookupFunction = (_host, options, callback) => {
      const all = addresses.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
      if ((options as { all?: boolean }).all === true) {
        (callback as (e: null, a: typeof all) => void)(null, all);
      } else {
        callback(null, all[0]!.address, all[0]!.family);
      }
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: request.method,
        headers: {
          ...request.headers,
          ...(request.body !== undefined && {
            'content-length': String(Buffer.byteLength(request.body)),
          }),
        },
        lookup,
        timeout: request.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let tooLarge = false;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxBytes && !tooLarge) {
            tooLarge = true;
            reject(new Error(`response larger than ${request.maxBytes} bytes`));
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          tooLarge
            ? undefined
            : resolvePromise({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
                url: url.toString(),
              }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });

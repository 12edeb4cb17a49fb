import { type ServiceEndpoint } from '../cli/config';
import { CliError } from '../cli/errors';

/** A service answered with an error status: the message says what it meant. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
    this.name = 'ApiError';
  }
}

const DOCTOR = '`ward doctor` checks every part';

/** Why a request could not be made at all (refused, unknown host, timeout), and what to do. */
export function unreachable(endpoint: ServiceEndpoint, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (error as { name?: string } | undefined)?.name;
  const what =
    code === 'ECONNREFUSED'
      ? 'refused the connection'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'has a host name that does not resolve'
        : code === 'TimeoutError' || code === 'AbortError'
          ? 'did not answer in time'
          : `could not be reached (${cause?.message ?? code ?? (error as Error).message})`;
  return new CliError(
    `${endpoint.name} at ${endpoint.url} ${what}`,
    `start Ward with \`npm start\` (in another terminal), or point --${urlFlag(endpoint)} at it; ${DOCTOR}`,
  );
}

function urlFlag(endpoint: ServiceEndpoint): string {
  return `${endpoint.tokenVar.split('_')[0]!.toLowerCase()}-url`;
}

/** The error for an HTTP error answer, naming the token problem when it is one. */
export function failure(endpoint: ServiceEndpoint, status: number, body: string): ApiError {
  let message = body.slice(0, 500);
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') {
      message = parsed.message;
    } else if (Array.isArray(parsed.message)) {
      message = parsed.message.join('; ');
    }
  } catch {
    // Not JSON: keep the text.
  }
  if (status === 404 && (message === 'Not Found' || message === '')) {
    return new ApiError(
      status,
      `${endpoint.name} has no such API: it runs without ${endpoint.tokenVar}, so its /v1 routes are off`,
      `start it with \`npm start\` (which sets ${endpoint.tokenVar}), or set ${endpoint.tokenVar} for the service and for ward`,
    );
  }
  if (status === 401 || status === 403) {
    return new ApiError(
      status,
      `${endpoint.name} refused the token${endpoint.tokenSource ? ` (${endpoint.tokenVar} from ${endpoint.tokenSource})` : ''}: ${message}`,
      `give ward the ${endpoint.tokenVar} the service runs with (environment, --token, or .ward/dev-tokens.env written by \`npm start\`)`,
    );
  }
  return new ApiError(status, `${endpoint.name} answered ${status}: ${message}`);
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** A service's /v1 API with its admin bearer token. */
export class ServiceClient {
  constructor(
    readonly endpoint: ServiceEndpoint,
    private readonly defaultTimeoutMs = 15_000,
  ) {}

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const { endpoint } = this;
    if (endpoint.token === undefined) {
      throw new CliError(
        `no ${endpoint.tokenVar}: ward needs ${endpoint.name}'s admin token`,
        `\`npm start\` keeps it in .ward/dev-tokens.env, which ward reads; elsewhere export ${endpoint.tokenVar} or pass --token`,
      );
    }
    const url = new URL(`${endpoint.url}/v1${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined && v !== '') {
        url.searchParams.set(k, String(v));
      }
    }
    const signals = [AbortSignal.timeout(options.timeoutMs ?? this.defaultTimeoutMs)];
    if (options.signal) {
      signals.push(options.signal);
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${endpoint.token}`,
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      if (options.signal?.aborted) {
        throw error;
      }
      throw unreachable(endpoint, error);
    }
    const text = await res.text();
    if (!res.ok) {
      throw failure(endpoint, res.status, text);
    }
    const type = res.headers.get('content-type') ?? '';
    return (type.includes('json') && text !== '' ? JSON.parse(text) : text) as T;
  }
}

/** GET without a token (health checks): the status and body, or why it could not be asked. */
export async function probe(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: string } | { error: unknown }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { error };
  }
}

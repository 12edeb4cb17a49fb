import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => Promise<true | string>;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, { ok: boolean; detail?: string }>;
}

const CHECK_TIMEOUT_MS = 2000;

/**
 * Collects the conditions a service needs before it takes traffic: each
 * infrastructure adapter registers its own (consumer joined, database answers).
 */
@Injectable()
export class ReadinessService {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async report(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks.entries()].map(async ([name, check]) => {
        const outcome = await withTimeout(check(), CHECK_TIMEOUT_MS).catch((error: unknown) =>
          error instanceof Error ? error.message : String(error),
        );
        return [name, outcome === true ? { ok: true } : { ok: false, detail: outcome }] as const;
      }),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, r]) => r.ok), checks };
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

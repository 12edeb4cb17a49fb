import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

export const METRIC_PREFIX = 'ward_';

/** Seconds; covers a sub-millisecond handler up to a stuck 10 s batch. */
export const DURATION_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/**
 * One prom-client registry per process (never the global one, so two Nest
 * apps in one test process do not collide). Metric getters are idempotent:
 * asking twice for a name returns the same metric.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor(serviceName: string) {
    this.registry.setDefaultLabels({ service: serviceName });
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return this.getOrCreate(
      config.name,
      () => new Counter({ ...config, registers: [this.registry] }),
    );
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return this.getOrCreate(
      config.name,
      () => new Gauge({ ...config, registers: [this.registry] }),
    );
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return this.getOrCreate(
      config.name,
      () => new Histogram({ ...config, registers: [this.registry] }),
    );
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private getOrCreate<M>(name: string, create: () => M): M {
    if (!name.startsWith(METRIC_PREFIX)) {
      throw new Error(`metric ${name} must start with ${METRIC_PREFIX}`);
    }
    return (this.registry.getSingleMetric(name) as M | undefined) ?? create();
  }
}

/** Runs `fn` and records its duration (seconds) in `histogram`, success or not. */
export async function timed<T, L extends string>(
  histogram: Histogram<L>,
  labels: Partial<Record<L, string>>,
  fn: () => Promise<T>,
): Promise<T> {
  const end = histogram.startTimer(labels);
  try {
    return await fn();
  } finally {
    end();
  }
}

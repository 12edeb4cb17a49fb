import { Injectable } from '@nestjs/common';
import { MetricsService } from '@ward/observability';
import { type Counter } from 'prom-client';

@Injectable()
export class BundleMetrics {
  readonly requests: Counter<'result'>;

  constructor(metrics: MetricsService) {
    this.requests = metrics.counter({
      name: 'ward_policy_bundle_requests_total',
      help: 'OPA bundle requests by result: served, not_modified (ETag matched) or refused (no or wrong token).',
      labelNames: ['result'],
    });
  }
}

import { Injectable } from '@nestjs/common';
import { MetricsService } from '@ward/observability';
import { PolicyRepository } from '@ward/persistence';
import { type Gauge } from 'prom-client';

/** Policies by kind and status, counted in PostgreSQL at each scrape (every replica reports the same). */
@Injectable()
export class PolicyGauges {
  readonly policies: Gauge<'kind' | 'status'>;

  constructor(metrics: MetricsService, repo: PolicyRepository) {
    this.policies = metrics.gauge({
      name: 'ward_policy_policies',
      help: 'Policies by kind and status (proposed, active, rejected, retired), across tenants.',
      labelNames: ['kind', 'status'],
      collect: async () => {
        this.policies.reset();
        for (const { kind, status, count } of await repo.countsByKindAndStatus()) {
          this.policies.set({ kind, status }, count);
        }
      },
    });
  }
}

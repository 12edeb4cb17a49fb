import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AdminTokenGuard } from '@ward/observability';
import { POLICY_CONFIG, type PolicyConfig } from '../config/policy.config';
import { BundleMetrics } from './bundle.metrics';

/** The policies API exists only when POLICY_ADMIN_TOKEN is set, and needs it as a bearer token. */
@Injectable()
export class PolicyAdminGuard extends AdminTokenGuard {
  constructor(@Inject(POLICY_CONFIG) config: PolicyConfig) {
    super(config.adminToken);
  }
}

/** OPA agents fetch bundles with POLICY_BUNDLE_TOKEN (read-only; never the admin token). */
@Injectable()
export class BundleTokenGuard extends AdminTokenGuard {
  constructor(
    @Inject(POLICY_CONFIG) config: PolicyConfig,
    private readonly metrics: BundleMetrics,
  ) {
    super(config.bundleToken);
  }

  override canActivate(context: ExecutionContext): boolean {
    try {
      return super.canActivate(context);
    } catch (error) {
      this.metrics.requests.inc({ result: 'refused' });
      throw error;
    }
  }
}

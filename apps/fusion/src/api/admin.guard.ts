import { Inject, Injectable } from '@nestjs/common';
import { AdminTokenGuard } from '@ward/observability';
import { FUSION_CONFIG, type FusionConfig } from '../config/fusion.config';

/** The incidents API exists only when FUSION_ADMIN_TOKEN is set, and needs it as a bearer token. */
@Injectable()
export class FusionAdminGuard extends AdminTokenGuard {
  constructor(@Inject(FUSION_CONFIG) config: FusionConfig) {
    super(config.adminToken);
  }
}

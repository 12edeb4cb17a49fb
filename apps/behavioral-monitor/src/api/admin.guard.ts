import { Inject, Injectable } from '@nestjs/common';
import { AdminTokenGuard } from '@ward/observability';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';

/** The API exists only when MONITOR_ADMIN_TOKEN is set, and needs it as a bearer token. */
@Injectable()
export class MonitorAdminGuard extends AdminTokenGuard {
  constructor(@Inject(MONITOR_CONFIG) config: MonitorConfig) {
    super(config.adminToken);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { AdminTokenGuard } from '@ward/observability';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';

/** The admin routes exist only when INGEST_ADMIN_TOKEN is set, and need it as a bearer token. */
@Injectable()
export class AdminGuard extends AdminTokenGuard {
  constructor(@Inject(INGEST_CONFIG) config: IngestConfig) {
    super(config.auth.adminToken);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { AdminTokenGuard } from '@ward/observability';
import { RESPONSE_CONFIG, type ResponseConfig } from '../config/response.config';

/** The API exists only when RESPONSE_ADMIN_TOKEN is set, and needs it as a bearer token. */
@Injectable()
export class ResponseAdminGuard extends AdminTokenGuard {
  constructor(@Inject(RESPONSE_CONFIG) config: ResponseConfig) {
    super(config.adminToken);
  }
}

import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';

/** The API exists only when MONITOR_ADMIN_TOKEN is set, and needs it as a bearer token. */
@Injectable()
export class MonitorAdminGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(MONITOR_CONFIG) config: MonitorConfig) {
    this.expected = config.adminToken === undefined ? undefined : sha256(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) {
      throw new NotFoundException();
    }
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (token === undefined || !timingSafeEqual(sha256(token), this.expected)) {
      throw new UnauthorizedException('bearer token required');
    }
    return true;
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

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
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';

/** The admin routes exist only when INGEST_ADMIN_TOKEN is set, and need it as a bearer token. */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(INGEST_CONFIG) config: IngestConfig) {
    this.expected =
      config.auth.adminToken === undefined ? undefined : digest(config.auth.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) {
      throw new NotFoundException();
    }
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (token === undefined || !timingSafeEqual(digest(token), this.expected)) {
      throw new UnauthorizedException('admin token required');
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

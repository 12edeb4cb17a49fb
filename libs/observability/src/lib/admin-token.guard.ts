import {
  type CanActivate,
  type ExecutionContext,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Guards a service's admin API with one bearer token. The routes do not exist
 * (404) while no token is configured. Each service extends it with its own
 * configured token (roles and tenant-bound keys come with issue 11).
 */
export abstract class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  protected constructor(token: string | undefined) {
    this.expected = token === undefined ? undefined : digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) {
      throw new NotFoundException();
    }
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (token === undefined || !timingSafeEqual(digest(token), this.expected)) {
      throw new UnauthorizedException('bearer token required');
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

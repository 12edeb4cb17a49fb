import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { type ApiKeyInfo } from '@ward/persistence';
import type { FastifyRequest } from 'fastify';
import { IngestMetrics } from '../intake/ingest.metrics';
import { ApiKeyVerifier } from './api-key-verifier.service';

type AuthenticatedRequest = FastifyRequest & { wardApiKey?: ApiKeyInfo };

export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

/** Requires an active API key with the `ingest` (or `admin`) role; the tenant comes from the key. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly verifier: ApiKeyVerifier,
    private readonly metrics: IngestMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = presentedKey(request);
    if (key === undefined || key === '') {
      this.metrics.authFailures.inc({ reason: 'missing' });
      throw new UnauthorizedException(
        'missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"',
      );
    }
    const info = await this.verifier.verify(key);
    if (!info) {
      this.metrics.authFailures.inc({ reason: 'invalid' });
      throw new UnauthorizedException('invalid or revoked API key');
    }
    if (!info.roles.includes('ingest') && !info.roles.includes('admin')) {
      this.metrics.authFailures.inc({ reason: 'role' });
      throw new ForbiddenException('this API key may not send telemetry (needs the ingest role)');
    }
    request.wardApiKey = info;
    return true;
  }
}

/** The API key the guard accepted. */
export const AuthenticatedKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ApiKeyInfo => {
    const key = context.switchToHttp().getRequest<AuthenticatedRequest>().wardApiKey;
    if (!key) {
      throw new UnauthorizedException('not authenticated');
    }
    return key;
  },
);

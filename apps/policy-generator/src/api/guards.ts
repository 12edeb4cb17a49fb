import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { POLICY_CONFIG, type PolicyConfig } from '../config/policy.config';
import { BundleMetrics } from './bundle.metrics';
import { bundleTokenFor } from './bundle-token';

/**
 * OPA agents fetch a tenant's bundle with that tenant's token, derived from
 * POLICY_BUNDLE_TOKEN (read-only; never the admin token, never the secret
 * itself, never another tenant's). 404 while POLICY_BUNDLE_TOKEN is unset.
 */
@Injectable()
export class BundleTokenGuard implements CanActivate {
  constructor(
    @Inject(POLICY_CONFIG) private readonly config: PolicyConfig,
    private readonly metrics: BundleMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const secret = this.config.bundleToken;
    if (secret === undefined) {
      throw new NotFoundException();
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const tenant = (request.params as Record<string, string | undefined>).tenantId ?? '';
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const digest = (v: string) => createHash('sha256').update(v).digest();
    if (
      token === undefined ||
      !timingSafeEqual(digest(token), digest(bundleTokenFor(secret, tenant)))
    ) {
      this.metrics.requests.inc({ result: 'refused' });
      throw new UnauthorizedException("bearer token of this tenant's bundle required");
    }
    return true;
  }
}

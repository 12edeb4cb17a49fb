import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { type Counter } from 'prom-client';
import { MetricsService } from '../metrics.service';
import { API_KEY_LOOKUP, type ApiKeyLookup, AUTH_OPTIONS, type AuthOptions } from './auth.options';
import { ACCESS_RULE, type AccessRule, type AuthenticatedRequest } from './auth.decorators';
import { InvalidTokenError, OidcVerifier } from './oidc.verifier';
import { grants, type Principal, WARD_ROLES } from './principal';
import { bearerToken, sameSecret } from './secrets';

export type AuthFailure = 'missing' | 'invalid' | 'role' | 'tenant' | 'platform';

const DEFAULT_FAILURE_METRIC = 'ward_http_auth_failures_total';

/**
 * The one authentication and authorization guard of every Ward service,
 * installed for every route: a route opts out only with @Public(), and a
 * route without a rule needs the admin role.
 *
 * Credentials, in order: the service's admin token (break-glass: every
 * tenant, every role), an API key (`Authorization: Bearer ward_…` or
 * `X-API-Key`), an OIDC bearer token when configured. Then the tenant of a
 * `/tenants/{tenantId}` route must be the caller's (otherwise 404, so another
 * tenant's resources cannot even be probed), then the role (403).
 */
@Injectable()
export class WardAuthGuard implements CanActivate {
  private readonly adminDigest: Buffer | undefined;
  private readonly oidc: OidcVerifier | undefined;
  private readonly failures: Counter<'reason'>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) options: AuthOptions,
    @Inject(API_KEY_LOOKUP) private readonly keys: ApiKeyLookup,
    metrics: MetricsService,
    @Optional() oidc?: OidcVerifier,
  ) {
    this.adminDigest =
      options.adminToken === undefined ? undefined : Buffer.from(options.adminToken);
    this.oidc = oidc ?? (options.oidc === undefined ? undefined : new OidcVerifier(options.oidc));
    this.failures = metrics.counter({
      name: options.failureMetric ?? DEFAULT_FAILURE_METRIC,
      help: 'HTTP requests refused for a missing, malformed, unknown or revoked API key.',
      labelNames: ['reason'],
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (rule?.public === true) {
      return true;
    }
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    let principal: Principal;
    try {
      principal = await this.authenticate(request);
    } catch (error) {
      if (error instanceof UnauthorizedException) {
        void http.getResponse<FastifyReply>().header('WWW-Authenticate', 'Bearer realm="ward"');
      }
      throw error;
    }
    const tenant = (request.params as Record<string, string | undefined> | undefined)?.tenantId;
    if (tenant !== undefined && principal.tenantId !== null && principal.tenantId !== tenant) {
      throw this.refuse('tenant', new NotFoundException());
    }
    if (rule?.platform === true && principal.tenantId !== null) {
      throw this.refuse(
        'platform',
        new ForbiddenException('this operation spans every tenant: it needs the admin token'),
      );
    }
    const role = rule?.role ?? 'admin';
    if (!grants(principal.roles, role)) {
      throw this.refuse('role', new ForbiddenException(`this operation needs the ${role} role`));
    }
    request.wardPrincipal = principal;
    return true;
  }

  private async authenticate(request: AuthenticatedRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const apiKeyHeader = request.headers['x-api-key'];
    const bearer = bearerToken(header);
    if (header !== undefined && bearer === undefined) {
      throw this.refuse(
        'invalid',
        new UnauthorizedException('Authorization must be "Bearer <token>"'),
      );
    }
    if (bearer !== undefined) {
      if (this.adminDigest !== undefined && sameSecret(bearer, this.adminDigest)) {
        return {
          kind: 'admin-token',
          subject: 'admin-token',
          tenantId: null,
          roles: [...WARD_ROLES],
        };
      }
      if (bearer.startsWith('ward_')) {
        return this.apiKey(bearer);
      }
      if (this.oidc !== undefined && OidcVerifier.looksLikeJwt(bearer)) {
        try {
          const identity = await this.oidc.verify(bearer);
          return { kind: 'oidc', ...identity };
        } catch (error) {
          if (error instanceof InvalidTokenError) {
            throw this.refuse(
              'invalid',
              new UnauthorizedException(`invalid token: ${error.message}`),
            );
          }
          throw error;
        }
      }
      throw this.refuse(
        'invalid',
        new UnauthorizedException('invalid, revoked or expired credential'),
      );
    }
    if (typeof apiKeyHeader === 'string' && apiKeyHeader.trim() !== '') {
      return this.apiKey(apiKeyHeader.trim());
    }
    throw this.refuse(
      'missing',
      new UnauthorizedException(
        'missing credential: send "Authorization: Bearer <key or token>" or "X-API-Key: <key>"',
      ),
    );
  }

  private async apiKey(secret: string): Promise<Principal> {
    const key = await this.keys.verify(secret);
    if (key === null) {
      throw this.refuse(
        'invalid',
        new UnauthorizedException('invalid, revoked or expired API key'),
      );
    }
    return {
      kind: 'api-key',
      subject: `api-key:${key.name} (${key.id})`,
      tenantId: key.tenantId,
      roles: key.roles,
    };
  }

  private refuse<E extends Error>(reason: AuthFailure, error: E): E {
    this.failures.inc({ reason });
    return error;
  }
}

import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { type Principal, type WardRole } from './principal';

export const ACCESS_RULE = 'ward:access';

export interface AccessRule {
  /** No Ward credential is checked (health probes, or a route with a guard of its own). */
  readonly public?: boolean;
  readonly role?: WardRole;
  /** Only for a caller that sees every tenant (the admin token): shared, cross-tenant resources. */
  readonly platform?: boolean;
}

/** Names of the OpenAPI security schemes (see createHttpService). */
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'apiKey';

const authResponses = (platform: boolean) => [
  ApiBearerAuth(BEARER_SCHEME),
  ApiSecurity(API_KEY_SCHEME),
  ApiResponse({
    status: 400,
    description: 'Invalid input (a parameter, the body or its JSON); the message names what.',
  }),
  ApiResponse({
    status: 401,
    description: 'No credential, or an unknown, revoked or expired one.',
  }),
  ApiResponse({
    status: 403,
    description: platform
      ? 'The credential is bound to one tenant or lacks the role this operation needs.'
      : 'The credential lacks the role this operation needs.',
  }),
];

/**
 * The role an operation needs. Routes under `/tenants/{tenantId}` also need a
 * credential of that tenant: any other tenant's gets 404, as if nothing were
 * there. A route with no rule at all needs the admin role.
 */
export function Authorize(role: WardRole): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { role } satisfies AccessRule),
    ...authResponses(false),
  );
}

/** Admin of every tenant: shared configuration and cross-tenant views. */
export function PlatformAdmin(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { role: 'admin', platform: true } satisfies AccessRule),
    ...authResponses(true),
  );
}

/** Skips Ward authentication (health probes; routes guarded by a token of their own). */
export function Public(): MethodDecorator & ClassDecorator {
  return SetMetadata(ACCESS_RULE, { public: true } satisfies AccessRule);
}

export type AuthenticatedRequest = FastifyRequest & { wardPrincipal?: Principal };

/** The caller the guard authenticated. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().wardPrincipal;
    if (principal === undefined) {
      throw new UnauthorizedException('not authenticated');
    }
    return principal;
  },
);

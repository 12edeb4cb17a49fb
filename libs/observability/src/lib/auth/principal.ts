export const WARD_ROLES = ['ingest', 'analyst', 'approver', 'admin'] as const;
export type WardRole = (typeof WARD_ROLES)[number];

/** What holding a role allows: an approver may read what it approves, an admin may do everything. */
const GRANTS: Record<WardRole, readonly WardRole[]> = {
  ingest: ['ingest'],
  analyst: ['analyst'],
  approver: ['approver', 'analyst'],
  admin: ['admin', 'approver', 'analyst', 'ingest'],
};

export function grants(roles: readonly WardRole[], required: WardRole): boolean {
  return roles.some((role) => GRANTS[role].includes(required));
}

export function isWardRole(value: unknown): value is WardRole {
  return typeof value === 'string' && (WARD_ROLES as readonly string[]).includes(value);
}

/** Who is calling, after authentication. */
export interface Principal {
  /** admin-token: a service's break-glass bearer token (every tenant, every role). */
  readonly kind: 'admin-token' | 'api-key' | 'oidc';
  /** Stable name for audit records: `api-key:<name> (<id>)`, `oidc:<sub>`, `admin-token`. */
  readonly subject: string;
  /** The one tenant the caller may see, or null for every tenant (the admin token only). */
  readonly tenantId: string | null;
  readonly roles: readonly WardRole[];
}

/**
 * The actor recorded for a change: the authenticated identity, so a caller
 * cannot sign as someone else; the admin token is shared, so there the
 * person's own claim is kept beside it.
 */
export function actorOf(principal: Principal, claimed: string): string {
  return principal.kind === 'admin-token' ? claimed : principal.subject;
}

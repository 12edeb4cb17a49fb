import { createHmac } from 'node:crypto';

/**
 * The bearer token of one tenant's bundle: HMAC-SHA256 of the tenant under
 * POLICY_BUNDLE_TOKEN. Each tenant's OPA agents hold only their own token, so
 * one tenant's agents cannot read another tenant's policies, and the secret
 * itself never leaves the service.
 */
export function bundleTokenFor(secret: string, tenantId: string): string {
  return createHmac('sha256', secret).update(`ward-bundle\u001f${tenantId}`).digest('base64url');
}

import { Type } from '@sinclair/typebox';

/** Tenant ids never contain '/', so `tenant/agent` message keys split unambiguously. */
export const TenantId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]*$',
  description: 'Tenant identifier (no slash).',
});

export const EntityId = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  description: 'Identifier without control characters.',
});

export const isoDateTime = (description = 'RFC 3339 date-time.') =>
  Type.String({ format: 'date-time', maxLength: 40, description });

export const Sha256Hex = Type.String({ pattern: '^[a-f0-9]{64}$' });

export const Iocs = Type.Object(
  {
    ips: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 })),
    domains: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 64 })),
    urls: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 64 })),
    hashes: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 })),
  },
  { additionalProperties: false, description: 'Indicators of compromise.' },
);

import { WARD_ROLES, type WardRole } from '@ward/observability';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** The roles a key can hold (the one list, from the shared auth guard). */
export const API_KEY_ROLES = WARD_ROLES;
export type ApiKeyRole = WardRole;

@Entity({ name: 'api_keys' })
@Index('api_keys_tenant_idx', ['tenantId'])
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** The key's public prefix (`ward_<prefix>_…`), shown in listings to tell keys apart. */
  @Column({ type: 'text' })
  prefix!: string;

  /** SHA-256 of the whole key; the key itself is never stored. */
  @Index('api_keys_hash_uq', { unique: true })
  @Column({ name: 'key_hash', type: 'char', length: 64 })
  keyHash!: string;

  @Column({ type: 'text', array: true })
  roles!: ApiKeyRole[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  /** After this the key is refused; null: never expires. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  /** Who created the key: the CLI's user or the authenticated caller of POST /v1/api-keys. */
  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;
}

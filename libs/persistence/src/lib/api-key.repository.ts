import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, IsNull, type Repository } from 'typeorm';
import { ApiKeyEntity, type ApiKeyRole } from './api-key.entity';

export interface ApiKeyInfo {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly prefix: string;
  readonly roles: readonly ApiKeyRole[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The only time the secret is visible. */
  readonly key: string;
}

export interface CreateApiKeyOptions {
  readonly createdBy?: string;
  readonly expiresAt?: Date;
}

const KEY_PATTERN = /^ward_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

/** SHA-256 suffices: keys carry 256 random bits, so there is nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function looksLikeApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

@Injectable()
export class ApiKeyRepository {
  private readonly repo: Repository<ApiKeyEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(ApiKeyEntity);
  }

  async create(
    tenantId: string,
    name: string,
    roles: readonly ApiKeyRole[],
    options: CreateApiKeyOptions = {},
  ): Promise<CreatedApiKey> {
    const prefix = randomBytes(6)
      .toString('base64url')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '0')
      .slice(0, 8);
    const key = `ward_${prefix}_${randomBytes(32).toString('base64url')}`;
    const entity = this.repo.create({
      id: randomUUID(),
      tenantId,
      name,
      prefix,
      keyHash: hashApiKey(key),
      roles: [...new Set(roles)],
      revokedAt: null,
      lastUsedAt: null,
      expiresAt: options.expiresAt ?? null,
      createdBy: options.createdBy ?? 'unknown',
    });
    const saved = await this.repo.save(entity);
    return { ...toInfo(saved), key };
  }

  /** The active key with this secret, or null (unknown, malformed, expired or revoked). */
  async findActiveByKey(key: string, now = new Date()): Promise<ApiKeyInfo | null> {
    if (!looksLikeApiKey(key)) {
      return null;
    }
    const row = await this.repo.findOneBy({ keyHash: hashApiKey(key), revokedAt: IsNull() });
    if (row === null || (row.expiresAt !== null && row.expiresAt <= now)) {
      return null;
    }
    return toInfo(row);
  }

  async list(tenantId?: string): Promise<ApiKeyInfo[]> {
    const rows = await this.repo.find({
      where: tenantId === undefined ? {} : { tenantId },
      order: { createdAt: 'ASC' },
    });
    return rows.map(toInfo);
  }

  /** Revokes a key; false when there is no such active key (within the tenant, when given). */
  async revoke(id: string, tenantId?: string): Promise<boolean> {
    const result = await this.repo.update(
      { id, revokedAt: IsNull(), ...(tenantId === undefined ? {} : { tenantId }) },
      { revokedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.repo.update({ id }, { lastUsedAt: at });
  }
}

function toInfo(row: ApiKeyEntity): ApiKeyInfo {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    prefix: row.prefix,
    roles: row.roles,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

import { Controller, Get, Header, Headers, Param, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Policy } from '@ward/contracts';
import { buildBundle, bundleRevision } from '@ward/detectors';
import { BEARER_SCHEME, Public, tenantParam } from '@ward/observability';
import { PolicyRepository } from '@ward/persistence';
import { type FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { BundleMetrics } from './bundle.metrics';
import { BundleTokenGuard } from './guards';

const MAX_CACHED_TENANTS = 1024;

/** A weak comparison of If-None-Match against one strong ETag (lists and `*` included). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) {
    return false;
  }
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

/**
 * The tenant's active policies as an OPA bundle (`.manifest`, Rego, data),
 * for OPA agents configured with this service as a bundle service. The bytes
 * are deterministic, so the ETag is their digest and an unchanged bundle
 * answers 304.
 */
@ApiTags('bundles')
@ApiBearerAuth(BEARER_SCHEME)
// The tenant's own bundle token, never a Ward credential: OPA agents hold nothing else.
@Public()
@UseGuards(BundleTokenGuard)
@Controller('tenants/:tenantId')
export class BundleController {
  /** The last bundle built per tenant: rebuilt only when the revision (policy ids and versions) changes. */
  private readonly built = new Map<string, { revision: string; bytes: Buffer; etag: string }>();

  constructor(
    private readonly repo: PolicyRepository,
    private readonly metrics: BundleMetrics,
  ) {}

  @Get('bundle.tar.gz')
  @Header('Cache-Control', 'no-cache')
  @ApiResponse({
    status: 200,
    content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
    description: 'The OPA bundle.',
  })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the current ETag.' })
  @ApiResponse({ status: 401, description: 'No or wrong bearer token (POLICY_BUNDLE_TOKEN).' })
  async bundle(
    @Param('tenantId') rawTenant: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const tenantId = tenantParam(rawTenant);
    const policies = (await this.repo.active(tenantId)).map((r) => r.payload as Policy);
    const revision = bundleRevision(policies);
    let cached = this.built.get(tenantId);
    if (cached?.revision !== revision) {
      const bytes = buildBundle({ tenantId, revision, policies });
      cached = { revision, bytes, etag: `"${createHash('sha256').update(bytes).digest('hex')}"` };
      this.built.delete(tenantId);
      this.built.set(tenantId, cached);
      if (this.built.size > MAX_CACHED_TENANTS) {
        this.built.delete(this.built.keys().next().value!);
      }
    }
    const { bytes, etag } = cached;
    void reply.header('ETag', etag);
    if (etagMatches(ifNoneMatch, etag)) {
      this.metrics.requests.inc({ result: 'not_modified' });
      await reply.code(304).send();
      return;
    }
    this.metrics.requests.inc({ result: 'served' });
    await reply
      .code(200)
      .header('Content-Type', 'application/gzip')
      .header('X-Ward-Bundle-Revision', revision)
      .send(bytes);
  }
}

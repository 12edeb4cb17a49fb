import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Policy, POLICY_KINDS, POLICY_STATUSES, PolicySchema } from '@ward/contracts';
import {
  actorOf,
  ApiContractBody,
  ApiIntQuery,
  Authorize,
  CurrentPrincipal,
  intQuery,
  openApiSchema,
  type Principal,
  tenantParam,
  validBody,
} from '@ward/observability';
import { PolicyRepository } from '@ward/persistence';
import { DryRunService, type DryRunReport } from '../policies/dry-run.service';
import { PolicyService } from '../policies/policy.service';
import { POLICY_CONFIG, type PolicyConfig } from '../config/policy.config';
import { bundleTokenFor } from './bundle-token';
import {
  BundleTokenSchema,
  DecisionContract,
  DryRunContract,
  DryRunReportSchema,
  PolicyDetailSchema,
  PolicyListSchema,
  PolicySettingsSchema,
  SettingsContract,
} from './policies.dto';

const POLICY = openApiSchema(PolicySchema);

/** OpenAPI links from a response naming a policy (at `pointer`) to what can be done with it. */
function policyLinks(pointer: string) {
  const parameters = {
    tenantId: `$response.body#${pointer}/tenantId`,
    policyId: `$response.body#${pointer}/policyId`,
  };
  return Object.fromEntries(
    ['get', 'rego', 'approve', 'reject', 'retire', 'dryRun'].map((op) => [
      op,
      { operationId: `PoliciesController_${op}`, parameters },
    ]),
  );
}
const POLICY_SETTINGS = openApiSchema(PolicySettingsSchema);

const EVIDENCE_SHOWN = 100;
const MINUTE_MS = 60_000;

function oneOf(name: string, raw: string | undefined, allowed: readonly string[]) {
  if (raw === undefined) {
    return undefined;
  }
  if (!allowed.includes(raw)) {
    throw new BadRequestException(`${name} must be one of ${allowed.join(', ')}`);
  }
  return raw;
}

function policyIdParam(raw: string): string {
  if (!/^[a-f0-9]{32}$/.test(raw)) {
    throw new NotFoundException('no such policy');
  }
  return raw;
}

@ApiTags('policies')
@Authorize('analyst')
@ApiResponse({ status: 404, description: 'No such policy in this tenant (or another tenant’s).' })
@Controller('tenants/:tenantId')
export class PoliciesController {
  constructor(
    private readonly repo: PolicyRepository,
    private readonly policies: PolicyService,
    private readonly dryRuns: DryRunService,
    @Inject(POLICY_CONFIG) private readonly config: PolicyConfig,
  ) {}

  @Get('policies')
  @ApiQuery({ name: 'status', required: false, enum: POLICY_STATUSES })
  @ApiQuery({ name: 'kind', required: false, enum: POLICY_KINDS })
  @ApiIntQuery('limit', 1, 500, 'default 50')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(PolicyListSchema),
    description: '{ policies }: most confident first.',
    links: policyLinks('/policies/0'),
  })
  async list(
    @Param('tenantId') rawTenant: string,
    @Query('status') status?: string,
    @Query('kind') kind?: string,
    @Query('limit') limit?: string,
  ): Promise<{ policies: Policy[] }> {
    const tenantId = tenantParam(rawTenant);
    const s = oneOf('status', status, POLICY_STATUSES);
    const k = oneOf('kind', kind, POLICY_KINDS);
    const rows = await this.repo.list(tenantId, {
      ...(s !== undefined && { status: s }),
      ...(k !== undefined && { kind: k }),
      limit: intQuery('limit', limit, 1, 500) ?? 50,
    });
    return { policies: rows.map((r) => r.payload as Policy) };
  }

  @Get('policies/:policyId')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(PolicyDetailSchema),
    links: policyLinks('/policy'),
    description:
      '{ policy, evidence (the latest pieces: source, detector, severity, observedAt, alert/incident/run ids), history }',
  })
  @ApiResponse({ status: 404, description: 'No such policy in this tenant.' })
  async get(@Param('tenantId') rawTenant: string, @Param('policyId') rawId: string) {
    const tenantId = tenantParam(rawTenant);
    const policyId = policyIdParam(rawId);
    const row = await this.repo.get(undefined, tenantId, policyId);
    if (row === undefined) {
      throw new NotFoundException('no such policy');
    }
    const evidence = await this.repo.evidence(
      undefined,
      tenantId,
      policyId,
      new Date(0),
      EVIDENCE_SHOWN,
    );
    const history = await this.repo.history(tenantId, policyId);
    return {
      policy: row.payload as Policy,
      evidence: evidence.map((e) => ({
        source: e.source,
        occurrence: e.occurrence,
        detector: e.detector,
        severity: e.severity,
        observedAt: e.observedAt.toISOString(),
        ...(e.alertId !== undefined && { alertId: e.alertId }),
        ...(e.incidentId !== undefined && { incidentId: e.incidentId }),
        ...(e.runId !== undefined && { runId: e.runId }),
        facts: e.facts,
      })),
      history: history.map((h) => ({ ...h, changedAt: h.changedAt.toISOString() })),
    };
  }

  @Get('policies/:policyId/rego')
  @ApiResponse({
    status: 200,
    content: { 'text/plain': { schema: { type: 'string', minLength: 1 } } },
    description: 'The Rego module.',
  })
  async rego(@Param('tenantId') rawTenant: string, @Param('policyId') rawId: string) {
    const { policy } = await this.get(rawTenant, rawId);
    return policy.rego;
  }

  @Post('policies/:policyId/approve')
  @Authorize('approver')
  @ApiContractBody(DecisionContract)
  @ApiResponse({
    status: 201,
    schema: POLICY,
    description: 'The policy, now active.',
    links: policyLinks(''),
  })
  @ApiResponse({ status: 409, description: 'Only a proposed policy can be approved.' })
  approve(
    @Param('tenantId') t: string,
    @Param('policyId') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.decide(t, id, 'approve', body, principal);
  }

  @Post('policies/:policyId/reject')
  @Authorize('approver')
  @ApiContractBody(DecisionContract)
  @ApiResponse({ status: 201, schema: POLICY, description: 'The policy, now rejected.' })
  @ApiResponse({ status: 409, description: 'Only a proposed policy can be rejected.' })
  reject(
    @Param('tenantId') t: string,
    @Param('policyId') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.decide(t, id, 'reject', body, principal);
  }

  @Post('policies/:policyId/retire')
  @Authorize('approver')
  @ApiContractBody(DecisionContract)
  @ApiResponse({ status: 201, schema: POLICY, description: 'The policy, now retired.' })
  @ApiResponse({ status: 409, description: 'Only a proposed or active policy can be retired.' })
  retire(
    @Param('tenantId') t: string,
    @Param('policyId') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.decide(t, id, 'retire', body, principal);
  }

  private decide(
    rawTenant: string,
    rawId: string,
    transition: 'approve' | 'reject' | 'retire',
    body: unknown,
    principal: Principal,
  ): Promise<Policy> {
    const tenantId = tenantParam(rawTenant);
    const policyId = policyIdParam(rawId);
    const input = validBody(DecisionContract, body);
    return this.policies.decide(
      tenantId,
      policyId,
      transition,
      actorOf(principal, input.actor),
      input.reason,
    );
  }

  @Post('policies/:policyId/dry-run')
  @ApiContractBody(DryRunContract, { required: false })
  @ApiResponse({
    status: 201,
    schema: openApiSchema(DryRunReportSchema),
    description:
      'What the policy would have denied or escalated among the tenant’s recent events: counts, top agents, samples.',
  })
  async dryRun(
    @Param('tenantId') rawTenant: string,
    @Param('policyId') rawId: string,
    @Body() body: unknown,
  ): Promise<DryRunReport> {
    const { policy } = await this.get(rawTenant, rawId);
    const input = validBody(DryRunContract, body === undefined ? {} : body);
    const now = Date.now();
    return this.dryRuns.run(policy, now - (input.sinceMinutes ?? 60) * MINUTE_MS, now);
  }

  @Get('bundle-token')
  @Authorize('admin')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(BundleTokenSchema),
    description:
      "{ token, bundlePath }: the bearer token this tenant's OPA agents use for its bundle (derived from POLICY_BUNDLE_TOKEN); 404 while that is unset.",
  })
  bundleToken(@Param('tenantId') rawTenant: string) {
    const tenantId = tenantParam(rawTenant);
    if (this.config.bundleToken === undefined) {
      throw new NotFoundException('POLICY_BUNDLE_TOKEN is not set: bundles are off');
    }
    return {
      token: bundleTokenFor(this.config.bundleToken, tenantId),
      bundlePath: `/v1/tenants/${tenantId}/bundle.tar.gz`,
    };
  }

  @Get('policy-settings')
  @ApiResponse({
    status: 200,
    description: 'The tenant’s auto-activation threshold (null: never automatic).',
    schema: POLICY_SETTINGS,
  })
  async settings(@Param('tenantId') rawTenant: string) {
    const tenantId = tenantParam(rawTenant);
    return {
      autoActivateThreshold: (await this.policies.thresholdFor(tenantId)) ?? null,
    };
  }

  @Put('policy-settings')
  @Authorize('admin')
  @ApiContractBody(SettingsContract)
  @ApiResponse({ status: 200, schema: POLICY_SETTINGS, description: 'The settings now in force.' })
  async setSettings(
    @Param('tenantId') rawTenant: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const tenantId = tenantParam(rawTenant);
    const input = validBody(SettingsContract, body);
    await this.policies.setThreshold(
      tenantId,
      input.autoActivateThreshold,
      actorOf(principal, input.actor),
    );
    return this.settings(tenantId);
  }
}

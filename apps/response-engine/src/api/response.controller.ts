import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import { Contract } from '@ward/contracts';
import {
  actorOf,
  ApiContractBody,
  ApiIntQuery,
  Authorize,
  CurrentPrincipal,
  intQuery,
  openApiSchema,
  PlatformAdmin,
  type Principal,
  tenantParam,
  validBody,
} from '@ward/observability';
import { AuditRepository, RunRepository } from '@ward/persistence';
import { RESPONSE_CONFIG, type ResponseConfig } from '../config/response.config';
import { PlaybookRegistry } from '../playbooks/playbook.registry';
import { RunService } from '../runs/run.service';
import {
  AuditVerdictSchema,
  DecisionRecordedSchema,
  DestinationsSchema,
  IncidentRunsSchema,
  ParkedDeliveriesSchema,
  ParkedResolvedSchema,
  PendingApprovalsSchema,
  PlaybookFilesSchema,
  RunDetailSchema,
} from './response.dto';

const DecisionContract = new Contract(
  'ApprovalDecision',
  1,
  Type.Object(
    {
      decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
      actor: Type.String({ minLength: 1, maxLength: 256 }),
      reason: Type.String({ minLength: 1, maxLength: 1000 }),
    },
    { additionalProperties: false },
  ),
);

const ParkedDecisionContract = new Contract(
  'ParkedDecision',
  1,
  Type.Object(
    {
      decision: Type.Union([Type.Literal('retry'), Type.Literal('discard')]),
      actor: Type.String({ minLength: 1, maxLength: 256 }),
      reason: Type.String({ minLength: 1, maxLength: 1000 }),
    },
    { additionalProperties: false },
  ),
);

const HEX32 = /^[a-f0-9]{32}$/;

/** OpenAPI links from a list of waiting steps to deciding the first one and reading its run. */
const FROM_PENDING = {
  decide: {
    operationId: 'ResponseController_decide',
    parameters: {
      tenantId: '$response.body#/0/tenantId',
      runId: '$response.body#/0/runId',
      stepId: '$response.body#/0/stepId',
    },
  },
  run: {
    operationId: 'ResponseController_run',
    parameters: { tenantId: '$response.body#/0/tenantId', runId: '$response.body#/0/runId' },
  },
};

@ApiTags('response')
@Authorize('analyst')
@ApiResponse({ status: 404, description: 'Nothing by that name (in this tenant).' })
@Controller()
export class ResponseController {
  constructor(
    private readonly runs: RunService,
    private readonly repo: RunRepository,
    private readonly audit: AuditRepository,
    private readonly playbooks: PlaybookRegistry,
    @Inject(RESPONSE_CONFIG) private readonly config: ResponseConfig,
  ) {}

  private async pending(tenantId: string | undefined, limit: string | undefined) {
    const rows = await this.repo.pendingApprovals(
      tenantId,
      intQuery('limit', limit, 1, 500) ?? 100,
    );
    return rows.map((r) => ({
      ...r,
      requestedAt: r.requestedAt.toISOString(),
      deadline: r.deadline.toISOString(),
    }));
  }

  @Get('tenants/:tenantId/approvals')
  @ApiIntQuery('limit', 1, 500, 'default 100')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(PendingApprovalsSchema),
    description: 'Steps waiting for a person, oldest first.',
    links: FROM_PENDING,
  })
  async approvals(@Param('tenantId') rawTenant: string, @Query('limit') limit?: string) {
    const tenantId = tenantParam(rawTenant);
    return this.pending(tenantId, limit);
  }

  @Get('approvals')
  @ApiIntQuery('limit', 1, 500, 'default 100')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(PendingApprovalsSchema),
    links: FROM_PENDING,
    description:
      'Steps waiting for a person: in every tenant for the admin token, in its own tenant for any other credential.',
  })
  async allApprovals(@CurrentPrincipal() principal: Principal, @Query('limit') limit?: string) {
    return this.pending(principal.tenantId ?? undefined, limit);
  }

  @Post('tenants/:tenantId/approvals/:runId/:stepId')
  @Authorize('approver')
  @HttpCode(202)
  @ApiContractBody(DecisionContract)
  @ApiResponse({
    status: 202,
    schema: openApiSchema(DecisionRecordedSchema),
    description: 'Recorded; the run continues.',
    links: {
      run: {
        operationId: 'ResponseController_run',
        parameters: { tenantId: '$request.path.tenantId', runId: '$response.body#/runId' },
      },
    },
  })
  @ApiResponse({ status: 404, description: 'No such waiting step in this tenant.' })
  @ApiResponse({ status: 409, description: 'The step is not waiting for approval (any more).' })
  async decide(
    @Param('tenantId') rawTenant: string,
    @Param('runId') runId: string,
    @Param('stepId') stepId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const tenantId = tenantParam(rawTenant);
    if (!HEX32.test(runId)) {
      throw new NotFoundException('no such approval');
    }
    const input = validBody(DecisionContract, body);
    await this.runs.decide(
      runId,
      stepId,
      input.decision === 'approve',
      actorOf(principal, input.actor),
      input.reason,
      tenantId,
    );
    return { runId, stepId, decision: input.decision };
  }

  @Get('tenants/:tenantId/runs/:runId')
  @ApiResponse({ status: 404, description: 'No such run in this tenant (or another tenant’s).' })
  @ApiResponse({
    status: 200,
    schema: openApiSchema(RunDetailSchema),
    description: 'The run, its playbook and every step state.',
    links: {
      incidentRuns: {
        operationId: 'ResponseController_incidentRuns',
        parameters: {
          tenantId: '$response.body#/tenantId',
          incidentId: '$response.body#/incidentId',
        },
      },
    },
  })
  async run(@Param('tenantId') rawTenant: string, @Param('runId') runId: string) {
    const tenantId = tenantParam(rawTenant);
    const run = HEX32.test(runId) ? await this.repo.run(runId) : undefined;
    if (run === undefined || run.tenantId !== tenantId) {
      throw new NotFoundException('no such run');
    }
    return { ...run, steps: await this.repo.steps(runId) };
  }

  @Get('tenants/:tenantId/incidents/:incidentId/runs')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(IncidentRunsSchema),
    description: 'The runs an incident started (one per matching playbook version), oldest first.',
  })
  async incidentRuns(
    @Param('tenantId') rawTenant: string,
    @Param('incidentId') incidentId: string,
  ) {
    const tenantId = tenantParam(rawTenant);
    return HEX32.test(incidentId) ? this.repo.runsOfIncident(tenantId, incidentId) : [];
  }

  @Get('playbooks')
  @PlatformAdmin()
  @ApiResponse({
    status: 200,
    schema: openApiSchema(PlaybookFilesSchema),
    description: 'Every playbook file, its id, and why it was refused if it was.',
  })
  playbookFiles() {
    return this.playbooks.status();
  }

  @Get('destinations')
  @PlatformAdmin()
  @ApiResponse({
    status: 200,
    schema: openApiSchema(DestinationsSchema),
    links: Object.fromEntries(
      ['parked', 'resolveParked'].map((op) => [
        op,
        {
          operationId: `ResponseController_${op}`,
          parameters: { name: '$response.body#/0/name' },
        },
      ]),
    ),
    description:
      'Every named destination: kind, consecutive failures, whether it is disabled, deliveries parked.',
  })
  async destinations() {
    const health = await this.repo.destinations([...this.config.destinations.keys()]);
    return health.map((h) => ({
      ...h,
      kind: this.config.destinations.get(h.name)!.kind,
      disabled: h.disabledAt !== undefined,
      ...(h.disabledAt !== undefined && { disabledAt: h.disabledAt.toISOString() }),
    }));
  }

  @Get('destinations/:name/parked')
  @PlatformAdmin()
  @ApiIntQuery('limit', 1, 500, 'default 100')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(ParkedDeliveriesSchema),
    description: 'Deliveries parked while the destination is disabled.',
  })
  @ApiResponse({ status: 404, description: 'No destination by that name.' })
  async parked(@Param('name') name: string, @Query('limit') limit?: string) {
    if (!this.config.destinations.has(name)) {
      throw new NotFoundException(`no destination ${name}`);
    }
    const rows = await this.repo.parked(name, intQuery('limit', limit, 1, 500) ?? 100);
    return rows.map((r) => ({ ...r, parkedAt: r.parkedAt.toISOString() }));
  }

  @Post('destinations/:name/parked')
  @PlatformAdmin()
  @HttpCode(200)
  @ApiContractBody(ParkedDecisionContract)
  @ApiResponse({
    status: 200,
    schema: openApiSchema(ParkedResolvedSchema),
    description:
      'retry: the destination is enabled and each parked step goes back to its run; discard: they are dropped.',
  })
  @ApiResponse({ status: 404, description: 'No destination by that name.' })
  async resolveParked(@Param('name') name: string, @Body() body: unknown) {
    const input = validBody(ParkedDecisionContract, body);
    return this.runs.resolveParked(name, input.decision === 'retry', input.actor, input.reason);
  }

  @Get('audit/verify')
  @PlatformAdmin()
  @ApiResponse({
    status: 200,
    schema: openApiSchema(AuditVerdictSchema),
    description: '{ ok, entries, lastHash } or { ok: false, seq, reason }: the first broken entry.',
  })
  verify() {
    return this.audit.verify();
  }
}

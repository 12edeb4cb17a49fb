import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBody, ApiResponse, ApiTags } from '@nestjs/swagger';
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
import { AgentControlSchema } from '@ward/contracts';
import { MonitorStateRepository } from '@ward/persistence';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';
import { ProfilesService } from '../profiles/profiles.service';
import { TenantSettingsService } from '../profiles/tenant-settings.service';
import { OperatorActionsService } from '../tiers/operator-actions.service';
import {
  AgentDetailSchema,
  AgentListSchema,
  DetectorSettingsSchema,
  DetectorSettingsStoredSchema,
  PutSettingsContract,
  PutSettingsDocumented,
  ResetRequestedSchema,
  weightsShapeProblem,
  ResetBaselineContract,
  SetTierContract,
} from './agents.dto';

const tenantOf = tenantParam;
const checked = validBody;

@ApiTags('agents')
@Authorize('analyst')
@ApiResponse({
  status: 404,
  description: 'Nothing by that name in this tenant (or another tenant’s).',
})
@Controller('tenants/:tenantId')
export class AgentsController {
  constructor(
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    private readonly repo: MonitorStateRepository,
    private readonly profiles: ProfilesService,
    private readonly operator: OperatorActionsService,
    private readonly settings: TenantSettingsService,
  ) {}

  @Get('agents')
  @ApiIntQuery('tier', 1, 4)
  @ApiIntQuery('minRisk', 0, 100)
  @ApiIntQuery('limit', 1, 500, 'default 100')
  @ApiIntQuery('offset', 0, 1_000_000, 'default 0')
  @ApiResponse({
    status: 200,
    links: Object.fromEntries(
      ['get', 'setTier', 'reset'].map((op) => [
        op,
        {
          operationId: `AgentsController_${op}`,
          parameters: {
            tenantId: '$response.body#/0/tenantId',
            agentId: '$response.body#/0/agentId',
          },
        },
      ]),
    ),
    schema: openApiSchema(AgentListSchema),
    description: 'By descending risk.',
  })
  async list(
    @Param('tenantId') rawTenant: string,
    @Query('tier') tier?: string,
    @Query('minRisk') minRisk?: string,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ) {
    const tenantId = tenantOf(rawTenant);
    const int = (name: string, raw: string | undefined, min: number, max: number, dflt?: number) =>
      intQuery(name, raw, min, max) ?? dflt;
    const t = int('tier', tier, 1, 4);
    const r = int('minRisk', minRisk, 0, 100);
    const agents = await this.repo.listAgents(this.config.consumerGroup, tenantId, {
      ...(t !== undefined && { tier: t }),
      ...(r !== undefined && { minRisk: r }),
      limit: int('limit', limit, 1, 500, 100)!,
      offset: int('offset', offset, 0, 1_000_000, 0)!,
    });
    return agents.map((a) => ({ ...a, lastEventAt: a.lastEventAt?.toISOString() ?? null }));
  }

  @Get('agents/:agentId')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(AgentDetailSchema),
    description: 'Profile, tiers, risk, baselines, tier history.',
  })
  @ApiResponse({ status: 404, description: 'Unknown agent.' })
  async get(@Param('tenantId') rawTenant: string, @Param('agentId') agentId: string) {
    const tenantId = tenantOf(rawTenant);
    const agent = await this.repo.getAgent(this.config.consumerGroup, tenantId, agentId);
    if (agent === null) {
      throw new NotFoundException('no such agent');
    }
    const history = await this.repo.tierChanges(tenantId, agentId);
    return {
      ...agent,
      lastEventAt: agent.lastEventAt?.toISOString() ?? null,
      live: this.profiles.live(tenantId, agentId),
      tierHistory: history.map((h) => ({ ...h, changedAt: h.changedAt.toISOString() })),
    };
  }

  @Put('agents/:agentId/tier')
  @Authorize('approver')
  @ApiContractBody(SetTierContract)
  @ApiResponse({
    status: 200,
    schema: openApiSchema(AgentControlSchema),
    description: 'The AgentControl record published.',
  })
  async setTier(
    @Param('tenantId') rawTenant: string,
    @Param('agentId') agentId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const tenantId = tenantOf(rawTenant);
    const input = checked(SetTierContract, body);
    return this.operator.setTier({
      tenantId,
      agentId,
      ...input,
      actor: actorOf(principal, input.actor),
    });
  }

  @Post('agents/:agentId/reset-baseline')
  @Authorize('admin')
  @HttpCode(202)
  @ApiContractBody(ResetBaselineContract)
  @ApiResponse({
    status: 202,
    schema: openApiSchema(ResetRequestedSchema),
    description: 'Recorded; the owning replica applies it.',
  })
  async reset(
    @Param('tenantId') rawTenant: string,
    @Param('agentId') agentId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const tenantId = tenantOf(rawTenant);
    const input = checked(ResetBaselineContract, body);
    const action = await this.operator.resetBaseline({
      tenantId,
      agentId,
      ...input,
      actor: actorOf(principal, input.actor),
    });
    return { seq: action.seq, requestedAt: action.createdAt.toISOString() };
  }

  @Get('detector-settings')
  @ApiResponse({
    status: 200,
    schema: openApiSchema(DetectorSettingsSchema),
    description: 'Effective settings and the stored overrides.',
  })
  async getSettings(@Param('tenantId') rawTenant: string) {
    const tenantId = tenantOf(rawTenant);
    await this.settings.refresh();
    const row = this.settings.overridesOf(tenantId);
    return {
      effective: this.settings.settingsFor(tenantId),
      overrides: row?.overrides ?? {},
      ...(row !== undefined && {
        reason: row.reason,
        updatedBy: row.updatedBy,
        updatedAt: row.updatedAt.toISOString(),
        version: row.version,
      }),
    };
  }

  @Put('detector-settings')
  @Authorize('admin')
  @ApiBody({ schema: openApiSchema(PutSettingsDocumented) })
  @ApiResponse({
    status: 200,
    schema: openApiSchema(DetectorSettingsStoredSchema),
    description: 'Stored and applied.',
  })
  @ApiResponse({ status: 400, description: 'A setting is invalid; the message names it.' })
  async putSettings(
    @Param('tenantId') rawTenant: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const tenantId = tenantOf(rawTenant);
    const input = checked(PutSettingsContract, body);
    const shape = weightsShapeProblem(input.overrides);
    if (shape !== undefined) {
      throw new BadRequestException(shape);
    }
    try {
      const { settings, row } = await this.settings.put(
        tenantId,
        input.overrides,
        input.reason,
        actorOf(principal, input.actor),
      );
      return { effective: settings, overrides: row.overrides, version: row.version };
    } catch (error) {
      if (error instanceof RangeError) {
        throw new BadRequestException(error.message);
      }
      throw error;
    }
  }
}

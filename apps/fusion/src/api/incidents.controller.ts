import {
  BadRequestException,
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Incident, INCIDENT_STATUSES, SEVERITIES, type ThreatAlert } from '@ward/contracts';
import { intQuery, tenantParam, validBody } from '@ward/observability';
import { IncidentRepository } from '@ward/persistence';
import { FusionService } from '../incidents/fusion.service';
import { FusionAdminGuard } from './admin.guard';
import {
  ChangeStatusContract,
  ChangeStatusDto,
  IncidentDetailDto,
  IncidentDto,
} from './incidents.dto';

const ALERTS_SHOWN = 1000;

function time(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const t = Date.parse(raw);
  if (Number.isNaN(t)) {
    throw new BadRequestException(`${name} must be an ISO 8601 date-time`);
  }
  return new Date(t);
}

function oneOf(name: string, raw: string | undefined, allowed: readonly string[]) {
  if (raw === undefined || raw === '') {
    return undefined;
  }
  if (!allowed.includes(raw)) {
    throw new BadRequestException(`${name} must be one of ${allowed.join(', ')}`);
  }
  return raw;
}

function cursor(raw: string | undefined) {
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const match = /^(.{1,40})\|([a-f0-9]{32})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (match === null || Number.isNaN(Date.parse(match[1]!))) {
    throw new BadRequestException('cursor is not one this API returned');
  }
  return { lastSeen: match[1]!, incidentId: match[2]! };
}

@ApiTags('incidents')
@ApiBearerAuth()
@UseGuards(FusionAdminGuard)
@Controller('tenants/:tenantId/incidents')
export class IncidentsController {
  constructor(
    private readonly repo: IncidentRepository,
    private readonly fusion: FusionService,
  ) {}

  @Get()
  @ApiQuery({ name: 'status', required: false, enum: INCIDENT_STATUSES })
  @ApiQuery({ name: 'severity', required: false, enum: SEVERITIES })
  @ApiQuery({ name: 'agent', required: false })
  @ApiQuery({ name: 'detector', required: false })
  @ApiQuery({ name: 'since', required: false, description: 'Last seen at or after (ISO 8601).' })
  @ApiQuery({ name: 'until', required: false, description: 'First seen at or before (ISO 8601).' })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({ status: 200, description: 'Newest first: { incidents, nextCursor }.' })
  async list(
    @Param('tenantId') rawTenant: string,
    @Query('status') status?: string,
    @Query('severity') severity?: string,
    @Query('agent') agent?: string,
    @Query('detector') detector?: string,
    @Query('since') since?: string,
    @Query('until') until?: string,
    @Query('limit') limit?: string,
    @Query('cursor') rawCursor?: string,
  ): Promise<{ incidents: Incident[]; nextCursor: string | null }> {
    const tenantId = tenantParam(rawTenant);
    const max = intQuery('limit', limit, 1, 500) ?? 50;
    const s = oneOf('status', status, INCIDENT_STATUSES);
    const v = oneOf('severity', severity, SEVERITIES);
    const from = time('since', since);
    const to = time('until', until);
    const before = cursor(rawCursor);
    const incidents = (await this.repo.list(tenantId, {
      ...(s !== undefined && { status: s }),
      ...(v !== undefined && { severity: v }),
      ...(agent !== undefined && agent !== '' && { agentId: agent }),
      ...(detector !== undefined && detector !== '' && { detector }),
      ...(from !== undefined && { since: from }),
      ...(to !== undefined && { until: to }),
      ...(before !== undefined && { before }),
      limit: max,
    })) as Incident[];
    const last = incidents.at(-1);
    return {
      incidents,
      nextCursor:
        incidents.length === max && last !== undefined
          ? Buffer.from(`${last.lastSeen}|${last.incidentId}`).toString('base64url')
          : null,
    };
  }

  @Get(':incidentId')
  @ApiResponse({ status: 200, type: IncidentDetailDto })
  @ApiResponse({ status: 404, description: 'No such incident in this tenant.' })
  async get(
    @Param('tenantId') rawTenant: string,
    @Param('incidentId') incidentId: string,
  ): Promise<IncidentDetailDto> {
    const tenantId = tenantParam(rawTenant);
    if (!/^[a-f0-9]{32}$/.test(incidentId)) {
      throw new NotFoundException('no such incident');
    }
    const incident = (await this.repo.get(tenantId, incidentId)) as Incident | undefined;
    if (incident === undefined) {
      throw new NotFoundException('no such incident');
    }
    const alerts = (await this.repo.alertsOf(tenantId, incidentId, ALERTS_SHOWN)) as ThreatAlert[];
    const history = await this.repo.statusHistory(tenantId, incidentId);
    const timeline = [
      ...alerts.map((a) => ({
        at: a.observedAt,
        kind: 'alert',
        agentId: a.agentId,
        detector: a.detector,
        severity: a.severity,
        summary: a.summary,
      })),
      ...history.map((h) => ({
        at: h.changedAt.toISOString(),
        kind: 'status',
        summary: `${h.fromStatus} → ${h.toStatus} by ${h.actor}: ${h.reason}`,
      })),
    ].sort((a, b) => a.at.localeCompare(b.at));
    return {
      incident: incident as unknown as IncidentDto,
      alerts,
      timeline,
      statusHistory: history.map((h) => ({ ...h, changedAt: h.changedAt.toISOString() })),
    };
  }

  @Get(':incidentId/graph')
  @ApiResponse({ status: 200, description: 'nodes and edges of the incident graph.' })
  async graph(@Param('tenantId') rawTenant: string, @Param('incidentId') incidentId: string) {
    const { incident } = await this.get(rawTenant, incidentId);
    return incident.graph;
  }

  @Post(':incidentId/status')
  @ApiBody({ type: ChangeStatusDto })
  @ApiResponse({ status: 201, type: IncidentDto, description: 'The new incident version.' })
  @ApiResponse({ status: 404, description: 'No such incident in this tenant.' })
  @ApiResponse({ status: 409, description: 'That change is not allowed from the current status.' })
  async changeStatus(
    @Param('tenantId') rawTenant: string,
    @Param('incidentId') incidentId: string,
    @Body() body: unknown,
  ): Promise<Incident> {
    const tenantId = tenantParam(rawTenant);
    if (!/^[a-f0-9]{32}$/.test(incidentId)) {
      throw new NotFoundException('no such incident');
    }
    const input = validBody(ChangeStatusContract, body);
    return this.fusion.changeStatus(tenantId, incidentId, input.status, input.reason, input.actor);
  }
}

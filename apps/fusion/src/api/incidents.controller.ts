import {
  BadRequestException,
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Incident, INCIDENT_STATUSES, SEVERITIES, type ThreatAlert } from '@ward/contracts';
import {
  actorOf,
  ApiContractBody,
  ApiIntQuery,
  Authorize,
  CurrentPrincipal,
  intQuery,
  type Principal,
  tenantParam,
  validBody,
} from '@ward/observability';
import { IncidentRepository } from '@ward/persistence';
import { FusionService } from '../incidents/fusion.service';
import {
  ChangeStatusContract,
  type IncidentDetail,
  INCIDENT_DETAIL_SCHEMA,
  INCIDENT_GRAPH_SCHEMA,
  INCIDENT_PAGE_SCHEMA,
  INCIDENT_SCHEMA,
} from './incidents.dto';

const ALERTS_SHOWN = 1000;

// RFC 3339, as the OpenAPI document says (format date-time).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

function time(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const t = typeof raw === 'string' && DATE_TIME.test(raw) ? Date.parse(raw.toUpperCase()) : NaN;
  if (Number.isNaN(t)) {
    throw new BadRequestException(`${name} must be an ISO 8601 date-time`);
  }
  return new Date(t);
}

function oneOf(name: string, raw: string | undefined, allowed: readonly string[]) {
  if (raw === undefined) {
    return undefined;
  }
  if (!allowed.includes(raw)) {
    throw new BadRequestException(`${name} must be one of ${allowed.join(', ')}`);
  }
  return raw;
}

/**
 * Page cursors are `<lastSeen in µs since the epoch>.<incident id>`: exact to
 * PostgreSQL's precision, and a shape the OpenAPI document can state, so any
 * cursor that matches it is a valid position.
 */
export const CURSOR_PATTERN = '^[0-9]{1,16}\\.[a-f0-9]{32}$';

export function encodeCursor(lastSeen: string, incidentId: string): string {
  const fraction = /\.(\d+)/.exec(lastSeen)?.[1] ?? '';
  const micros = BigInt(Date.parse(lastSeen)) * 1000n + BigInt(fraction.padEnd(6, '0').slice(3, 6));
  return `${micros}.${incidentId}`;
}

export function decodeCursor(raw: string | undefined) {
  if (raw === undefined) {
    return undefined;
  }
  if (typeof raw !== 'string' || !new RegExp(CURSOR_PATTERN).test(raw)) {
    throw new BadRequestException('cursor is not one this API returned');
  }
  const [micros, incidentId] = raw.split('.') as [string, string];
  const us = BigInt(micros);
  const iso = new Date(Number(us / 1000n)).toISOString();
  return {
    lastSeen: iso.replace('Z', `${String(us % 1000n).padStart(3, '0')}Z`),
    incidentId,
  };
}

@ApiTags('incidents')
@Authorize('analyst')
@ApiResponse({ status: 404, description: 'No such incident in this tenant (or another tenant’s).' })
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
  @ApiQuery({
    name: 'since',
    required: false,
    schema: { type: 'string', format: 'date-time' },
    description: 'Last seen at or after.',
  })
  @ApiQuery({
    name: 'until',
    required: false,
    schema: { type: 'string', format: 'date-time' },
    description: 'First seen at or before.',
  })
  @ApiIntQuery('limit', 1, 500, 'default 50')
  @ApiQuery({
    name: 'cursor',
    required: false,
    schema: { type: 'string', pattern: CURSOR_PATTERN },
    description: 'nextCursor of the previous page',
  })
  @ApiResponse({
    status: 200,
    schema: INCIDENT_PAGE_SCHEMA,
    description: 'Newest first.',
    links: Object.fromEntries(
      ['get', 'graph', 'changeStatus'].map((op) => [
        op,
        {
          operationId: `IncidentsController_${op}`,
          parameters: {
            tenantId: '$response.body#/incidents/0/tenantId',
            incidentId: '$response.body#/incidents/0/incidentId',
          },
        },
      ]),
    ),
  })
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
    const before = decodeCursor(rawCursor);
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
          ? encodeCursor(last.lastSeen, last.incidentId)
          : null,
    };
  }

  @Get(':incidentId')
  @ApiResponse({ status: 200, schema: INCIDENT_DETAIL_SCHEMA })
  @ApiResponse({ status: 404, description: 'No such incident in this tenant.' })
  async get(
    @Param('tenantId') rawTenant: string,
    @Param('incidentId') incidentId: string,
  ): Promise<IncidentDetail> {
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
      incident,
      alerts,
      timeline,
      statusHistory: history.map((h) => ({ ...h, changedAt: h.changedAt.toISOString() })),
    };
  }

  @Get(':incidentId/graph')
  @ApiResponse({
    status: 200,
    schema: INCIDENT_GRAPH_SCHEMA,
    description: 'nodes and edges of the incident graph.',
  })
  async graph(@Param('tenantId') rawTenant: string, @Param('incidentId') incidentId: string) {
    const { incident } = await this.get(rawTenant, incidentId);
    return incident.graph;
  }

  @Post(':incidentId/status')
  @ApiContractBody(ChangeStatusContract)
  @ApiResponse({ status: 201, schema: INCIDENT_SCHEMA, description: 'The new incident version.' })
  @ApiResponse({ status: 404, description: 'No such incident in this tenant.' })
  @ApiResponse({ status: 409, description: 'That change is not allowed from the current status.' })
  async changeStatus(
    @Param('tenantId') rawTenant: string,
    @Param('incidentId') incidentId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Incident> {
    const tenantId = tenantParam(rawTenant);
    if (!/^[a-f0-9]{32}$/.test(incidentId)) {
      throw new NotFoundException('no such incident');
    }
    const input = validBody(ChangeStatusContract, body);
    return this.fusion.changeStatus(
      tenantId,
      incidentId,
      input.status,
      input.reason,
      actorOf(principal, input.actor),
    );
  }
}

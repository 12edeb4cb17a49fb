import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiContractBody,
  Authorize,
  CurrentPrincipal,
  type Principal,
  validBody,
} from '@ward/observability';
import {
  type ApiKeyInfo,
  ApiKeyRepository,
  ApiKeyVerifier,
  type CreatedApiKey,
} from '@ward/persistence';
import { ApiKeyDto, CreateApiKeyContract, CreatedApiKeyDto } from './api-keys.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * API keys over HTTP, for the admin role. A tenant's admin key manages only
 * its own tenant's keys; the admin token manages every tenant's.
 */
@ApiTags('api-keys')
@Authorize('admin')
@Controller('api-keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly verifier: ApiKeyVerifier,
  ) {}

  @Post()
  @ApiContractBody(CreateApiKeyContract)
  @ApiResponse({
    status: 201,
    type: CreatedApiKeyDto,
    description: 'The key, shown this once.',
    links: {
      revoke: {
        operationId: 'ApiKeysController_revoke',
        parameters: { id: '$response.body#/id' },
        description: 'Revoke the key just created.',
      },
    },
  })
  @ApiResponse({ status: 400, description: 'The body is invalid; the message names the field.' })
  async create(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedApiKey> {
    const input = validBody(CreateApiKeyContract, body);
    if (principal.tenantId !== null && input.tenantId !== principal.tenantId) {
      throw new ForbiddenException("a tenant's admin key creates keys of its own tenant only");
    }
    let expiresAt: Date | undefined;
    if (input.expiresAt !== undefined) {
      expiresAt = new Date(input.expiresAt);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) {
        throw new BadRequestException('expiresAt must be a date-time in the future');
      }
    }
    return this.keys.create(input.tenantId, input.name, input.roles ?? ['ingest'], {
      createdBy: principal.subject,
      ...(expiresAt !== undefined && { expiresAt }),
    });
  }

  @Get()
  @ApiQuery({ name: 'tenantId', required: false, description: 'Only this tenant’s keys.' })
  @ApiResponse({ status: 200, type: [ApiKeyDto] })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('tenantId') tenantId?: string,
  ): Promise<ApiKeyInfo[]> {
    if (principal.tenantId !== null) {
      // Another tenant's keys are not there, as far as this caller can tell.
      return tenantId && tenantId !== principal.tenantId ? [] : this.keys.list(principal.tenantId);
    }
    return this.keys.list(tenantId || undefined);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'Revoked.' })
  @ApiResponse({ status: 404, description: 'No such active key (in the caller’s tenant).' })
  async revoke(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    if (!UUID.test(id) || !(await this.keys.revoke(id, principal.tenantId ?? undefined))) {
      throw new NotFoundException('no such active API key');
    }
    this.verifier.forget(id);
  }
}

import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiResponse, ApiTags } from '@nestjs/swagger';
import { formatIssues } from '@ward/contracts';
import { type ApiKeyInfo, ApiKeyRepository, type CreatedApiKey } from '@ward/persistence';
import { AdminGuard } from './admin.guard';
import { ApiKeyVerifier } from './api-key-verifier.service';
import { ApiKeyDto, CreateApiKeyContract, CreatedApiKeyDto, CreateApiKeyDto } from './api-keys.dto';

@ApiTags('api-keys')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('api-keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly verifier: ApiKeyVerifier,
  ) {}

  @Post()
  @ApiBody({ type: CreateApiKeyDto })
  @ApiResponse({ status: 201, type: CreatedApiKeyDto, description: 'The key, shown this once.' })
  async create(@Body() body: unknown): Promise<CreatedApiKey> {
    const checked = CreateApiKeyContract.validate(body);
    if (!checked.ok) {
      throw new BadRequestException(formatIssues(checked.issues));
    }
    return this.keys.create(
      checked.value.tenantId,
      checked.value.name,
      checked.value.roles ?? ['ingest'],
    );
  }

  @Get()
  @ApiResponse({ status: 200, type: [ApiKeyDto] })
  async list(@Query('tenantId') tenantId?: string): Promise<ApiKeyInfo[]> {
    return this.keys.list(tenantId || undefined);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'Revoked.' })
  @ApiResponse({ status: 404, description: 'No such active key.' })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    if (!(await this.keys.revoke(id))) {
      throw new NotFoundException('no such active API key');
    }
    this.verifier.forget(id);
  }
}

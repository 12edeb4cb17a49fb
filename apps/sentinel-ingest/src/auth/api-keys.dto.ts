import { ApiProperty } from '@nestjs/swagger';
import { type Static, Type } from '@sinclair/typebox';
import { Contract, TenantId } from '@ward/contracts';
import { API_KEY_ROLES, type ApiKeyRole } from '@ward/persistence';

export const CreateApiKeyContract = new Contract(
  'CreateApiKey',
  1,
  Type.Object(
    {
      tenantId: TenantId,
      name: Type.String({ minLength: 1, maxLength: 200 }),
      roles: Type.Optional(
        Type.Array(Type.Union(API_KEY_ROLES.map((r) => Type.Literal(r))), {
          minItems: 1,
          maxItems: 4,
          uniqueItems: true,
        }),
      ),
      expiresAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    },
    { additionalProperties: false },
  ),
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyContract.schema>;

export class ApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Public part of the key, to tell keys apart.' }) prefix!: string;
  @ApiProperty({ enum: API_KEY_ROLES, isArray: true }) roles!: ApiKeyRole[];
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'Who created the key.' }) createdBy!: string;
  @ApiProperty({ nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself. Shown once; store it now.' }) key!: string;
}

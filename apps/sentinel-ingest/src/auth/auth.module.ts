import { Module } from '@nestjs/common';
import { AdminGuard } from './admin.guard';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyVerifier } from './api-key-verifier.service';
import { ApiKeysController } from './api-keys.controller';

@Module({
  controllers: [ApiKeysController],
  providers: [ApiKeyVerifier, ApiKeyGuard, AdminGuard],
  exports: [ApiKeyVerifier, ApiKeyGuard],
})
export class AuthModule {}

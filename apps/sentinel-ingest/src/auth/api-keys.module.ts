import { Module } from '@nestjs/common';
import { ApiKeysController } from './api-keys.controller';

/** API-key management over HTTP (the shared guard and key lookup come from AuthModule). */
@Module({ controllers: [ApiKeysController] })
export class ApiKeysModule {}

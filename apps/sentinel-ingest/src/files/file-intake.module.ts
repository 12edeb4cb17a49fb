import { Module } from '@nestjs/common';
import { FileIntakeService } from './file-intake.service';

@Module({ providers: [FileIntakeService], exports: [FileIntakeService] })
export class FileIntakeModule {}

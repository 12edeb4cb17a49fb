import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { IntakeModule } from '../intake/intake.module';
import { EventsController } from './events.controller';

@Module({ imports: [AuthModule, IntakeModule], controllers: [EventsController] })
export class EventsModule {}

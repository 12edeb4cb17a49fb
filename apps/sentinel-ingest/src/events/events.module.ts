import { Module } from '@nestjs/common';
import { IntakeModule } from '../intake/intake.module';
import { EventsController } from './events.controller';

@Module({ imports: [IntakeModule], controllers: [EventsController] })
export class EventsModule {}

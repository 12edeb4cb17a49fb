import { Module } from '@nestjs/common';
import { AlertsService } from '../alerts/alerts.service';
import { ProfilesService } from './profiles.service';

@Module({ providers: [ProfilesService, AlertsService], exports: [ProfilesService, AlertsService] })
export class ProfilesModule {}

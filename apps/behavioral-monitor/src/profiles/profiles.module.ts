import { Module } from '@nestjs/common';
import { AlertsService } from '../alerts/alerts.service';
import { ConfiguredTiers } from '../tiers/configured-tiers';
import { OperatorActionsService } from '../tiers/operator-actions.service';
import { ProfilesService } from './profiles.service';
import { TenantSettingsService } from './tenant-settings.service';

const PROVIDERS = [
  ProfilesService,
  AlertsService,
  ConfiguredTiers,
  TenantSettingsService,
  OperatorActionsService,
];

@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class ProfilesModule {}

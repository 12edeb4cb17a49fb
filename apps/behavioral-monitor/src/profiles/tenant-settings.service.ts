import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { applyOverrides, type ProfileOverrides, type ProfileSettings } from '@ward/detectors';
import { MonitorStateRepository, type TenantSettingsRow } from '@ward/persistence';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';

/**
 * Detector settings per tenant: the validated service defaults with each
 * tenant's persisted overrides applied. Every replica picks up changes from
 * PostgreSQL within MONITOR_REFRESH_SECONDS.
 */
@Injectable()
export class TenantSettingsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TenantSettingsService.name);
  private readonly byTenant = new Map<string, ProfileSettings>();
  private readonly rows = new Map<string, TenantSettingsRow>();
  private since: Date | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    private readonly repo: MonitorStateRepository,
  ) {}

  get defaults(): ProfileSettings {
    return this.config.profile;
  }

  settingsFor(tenantId: string): ProfileSettings {
    return this.byTenant.get(tenantId) ?? this.config.profile;
  }

  overridesOf(tenantId: string): TenantSettingsRow | undefined {
    return this.rows.get(tenantId);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger.warn(`refreshing tenant settings failed: ${String(error)}`),
      );
    }, this.config.refreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Validates (throws RangeError naming the setting) and persists a tenant's overrides. */
  async put(
    tenantId: string,
    overrides: ProfileOverrides,
    reason: string,
    actor: string,
  ): Promise<{ settings: ProfileSettings; row: TenantSettingsRow }> {
    const settings = applyOverrides(this.config.profile, overrides);
    const row = await this.repo.putTenantSettings(tenantId, overrides, reason, actor);
    this.apply(row);
    return { settings, row };
  }

  async refresh(): Promise<void> {
    for (const row of await this.repo.tenantSettingsSince(this.since)) {
      this.apply(row);
      if (this.since === null || row.updatedAt > this.since) {
        this.since = row.updatedAt;
      }
    }
  }

  private apply(row: TenantSettingsRow): void {
    try {
      this.byTenant.set(row.tenantId, applyOverrides(this.config.profile, row.overrides));
      this.rows.set(row.tenantId, row);
    } catch (error) {
      // Stored overrides that no longer validate (defaults changed) fall back to the defaults.
      this.logger.error(
        `tenant ${row.tenantId}: ignoring stored detector settings: ${String(error)}`,
      );
      this.byTenant.delete(row.tenantId);
    }
  }
}

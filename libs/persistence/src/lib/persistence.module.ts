import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { ReadinessService } from '@ward/observability';
import { DataSource } from 'typeorm';
import { createDataSource, type DatabaseOptions, keepClientErrorsHandled } from './data-source';
import { ApiKeyRepository } from './api-key.repository';
import { FilePositionRepository } from './file-position.repository';
import { MonitorStateRepository } from './monitor/monitor-state.repository';
import { IncidentRepository } from './fusion/incident.repository';
import { AuditRepository } from './audit/audit.repository';
import { RunRepository } from './response/run.repository';
import { PolicyRepository } from './policy/policy.repository';
import { ThreatAlertRepository } from './threat-alert.repository';

export interface PersistenceRootOptions {
  readonly useFactory: (...deps: never[]) => DatabaseOptions;
  readonly inject?: readonly (string | symbol | Type)[];
}

const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }
}

@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceRootOptions): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DATABASE_OPTIONS,
          useFactory: options.useFactory,
          inject: [...(options.inject ?? [])],
        },
        {
          provide: DataSource,
          inject: [DATABASE_OPTIONS, ReadinessService],
          useFactory: async (db: DatabaseOptions, readiness: ReadinessService) => {
            const dataSource = await createDataSource(db).initialize();
            keepClientErrorsHandled(dataSource);
            readiness.register('postgres', async () => {
              await dataSource.query('SELECT 1');
              return true;
            });
            return dataSource;
          },
        },
        DatabaseLifecycle,
        ThreatAlertRepository,
        ApiKeyRepository,
        FilePositionRepository,
        MonitorStateRepository,
        IncidentRepository,
        AuditRepository,
        RunRepository,
        PolicyRepository,
      ],
      exports: [
        DataSource,
        ThreatAlertRepository,
        ApiKeyRepository,
        FilePositionRepository,
        MonitorStateRepository,
        IncidentRepository,
        AuditRepository,
        RunRepository,
        PolicyRepository,
      ],
    };
  }
}

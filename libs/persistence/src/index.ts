export * from './lib/threat-alert.entity';
export * from './lib/data-source';
export * from './lib/threat-alert.repository';
export * from './lib/persistence.module';
export * from './lib/redis/redis.module';
export * from './lib/redis/cooldown.store';

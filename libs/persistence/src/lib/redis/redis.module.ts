import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { ReadinessService } from '@ward/observability';
import Redis from 'ioredis';
import { DedupStore } from './dedup.store';
import { TokenBucketStore } from './token-bucket.store';

export interface RedisOptions {
  readonly url: string;
  /** Prefix for every key this deployment writes. */
  readonly keyPrefix: string;
  /** PEM of the CA Redis's TLS certificate is checked against (rediss:// URLs); default: the system's. */
  readonly tlsCa?: string;
}

export interface RedisRootOptions {
  readonly useFactory: (...deps: never[]) => RedisOptions;
  readonly inject?: readonly (string | symbol | Type)[];
}

export const REDIS_OPTIONS = Symbol('REDIS_OPTIONS');

export function createRedis(options: RedisOptions): Redis {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    connectionName: 'ward',
    // rediss:// turns TLS on (certificate and host name verified); this only adds the trusted CA.
    ...(options.tlsCa !== undefined && { tls: { ca: options.tlsCa } }),
  });
  // ioredis reconnects by itself; without a listener every failed attempt is
  // printed as an "Unhandled error event". One line per outage instead: the
  // readiness check (and whatever command failed) reports the rest.
  const logger = new Logger('Redis');
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) {
      down = true;
      logger.warn(`connection lost, reconnecting: ${error.message}`);
    }
  });
  redis.on('ready', () => {
    if (down) {
      down = false;
      logger.log('connection restored');
    }
  });
  return redis;
}

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(Redis) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(options: RedisRootOptions): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS_OPTIONS,
          useFactory: options.useFactory,
          inject: [...(options.inject ?? [])],
        },
        {
          provide: Redis,
          inject: [REDIS_OPTIONS, ReadinessService],
          useFactory: async (opts: RedisOptions, readiness: ReadinessService) => {
            const redis = createRedis(opts);
            await redis.connect();
            readiness.register('redis', async () => {
              if (redis.status !== 'ready') {
                return `redis connection ${redis.status}`;
              }
              return (await redis.ping()) === 'PONG' ? true : 'no PONG';
            });
            return redis;
          },
        },
        RedisLifecycle,
        DedupStore,
        TokenBucketStore,
      ],
      exports: [Redis, DedupStore, TokenBucketStore],
    };
  }
}

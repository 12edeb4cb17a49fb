import {
  type DynamicModule,
  Global,
  Module,
  type OnModuleInit,
  type Provider,
  type Type,
} from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { BatchConsumer } from './batch-consumer.service';
import { createKafka } from './kafka-client';
import { MessageProducer } from './message-producer.service';
import { MessagingMetrics } from './messaging.metrics';
import {
  CONSUMER_OPTIONS,
  type ConsumerOptions,
  DEFAULT_CONSUMER_OPTIONS,
  KAFKA_CONNECTION_OPTIONS,
  type KafkaConnectionOptions,
  TOPIC_HANDLERS,
} from './messaging.options';
import { TopicAdmin } from './topic-admin.service';
import { type TopicHandler } from './topic-handler';

export interface MessagingRootOptions {
  readonly useFactory: (...deps: never[]) => KafkaConnectionOptions;
  readonly inject?: readonly (string | symbol | Type)[];
}

export interface ConsumerRegistration {
  readonly useFactory: (
    ...deps: never[]
  ) => Pick<ConsumerOptions, 'groupId'> & Partial<ConsumerOptions>;
  readonly inject?: readonly (string | symbol | Type)[];
  /** Handler classes (`*.consumer.ts`), one per topic. */
  readonly handlers: readonly Type<TopicHandler>[];
  /** Feature modules that provide what the handlers inject. */
  readonly imports?: DynamicModule['imports'];
}

/** Creates missing topics before anything produces or subscribes. */
class TopicBootstrap implements OnModuleInit {
  constructor(
    private readonly admin: TopicAdmin,
    private readonly options: KafkaConnectionOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.options.ensureTopics) {
      await this.admin.ensureTopics();
    }
  }
}

@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingRootOptions): DynamicModule {
    const providers: Provider[] = [
      {
        provide: KAFKA_CONNECTION_OPTIONS,
        useFactory: options.useFactory,
        inject: [...(options.inject ?? [])],
      },
      { provide: Kafka, useFactory: createKafka, inject: [KAFKA_CONNECTION_OPTIONS] },
      TopicAdmin,
      MessagingMetrics,
      MessageProducer,
    ];
    return {
      module: MessagingModule,
      providers: [
        ...providers,
        {
          provide: TopicBootstrap,
          useFactory: (admin: TopicAdmin, opts: KafkaConnectionOptions) =>
            new TopicBootstrap(admin, opts),
          inject: [TopicAdmin, KAFKA_CONNECTION_OPTIONS],
        },
      ],
      exports: [Kafka, TopicAdmin, MessagingMetrics, MessageProducer, KAFKA_CONNECTION_OPTIONS],
    };
  }

  /** A consumer group whose handlers are the given `*.consumer.ts` classes. */
  static forConsumer(registration: ConsumerRegistration): DynamicModule {
    return {
      module: MessagingConsumerModule,
      imports: registration.imports ?? [],
      providers: [
        ...registration.handlers,
        {
          provide: CONSUMER_OPTIONS,
          useFactory: (...deps: never[]) => ({
            ...DEFAULT_CONSUMER_OPTIONS,
            ...registration.useFactory(...deps),
          }),
          inject: [...(registration.inject ?? [])],
        },
        {
          provide: TOPIC_HANDLERS,
          useFactory: (...handlers: TopicHandler[]) => handlers,
          inject: [...registration.handlers],
        },
        BatchConsumer,
      ],
      exports: [BatchConsumer],
    };
  }
}

@Module({})
class MessagingConsumerModule {}

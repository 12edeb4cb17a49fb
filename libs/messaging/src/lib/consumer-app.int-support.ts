import { type INestApplicationContext, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ObservabilityModule, ReadinessService } from '@ward/observability';
import { eventually, infraEnv } from '@ward/testing';
import { MessagingModule } from './messaging.module';
import { type ConsumerOptions } from './messaging.options';
import { type TopicHandler } from './topic-handler';

/**
 * For the messaging integration tests: a Nest context with the real producer
 * and a BatchConsumer running `handler` against the local broker, returned
 * once its consumer has joined the group.
 */
export async function startConsumerApp<H extends TopicHandler>(options: {
  readonly serviceName: string;
  readonly topicPrefix: string;
  readonly consumer: Partial<ConsumerOptions> & { readonly groupId: string };
  readonly handler: Type<H>;
}): Promise<{ app: INestApplicationContext; handler: H }> {
  const env = infraEnv();
  @Module({
    imports: [
      ObservabilityModule.forRoot({ serviceName: options.serviceName }),
      MessagingModule.forRoot({
        useFactory: () => ({
          brokers: env.KAFKA_BROKERS.split(','),
          clientId: options.serviceName,
          topicPrefix: options.topicPrefix,
          ensureTopics: true,
        }),
      }),
      MessagingModule.forConsumer({
        useFactory: () => options.consumer,
        handlers: [options.handler],
      }),
    ],
  })
  class TestModule {}
  const app = await NestFactory.createApplicationContext(TestModule, { logger: ['error'] });
  app.enableShutdownHooks();
  await app.init();
  await eventually(
    async () => ((await app.get(ReadinessService).report()).ready ? true : undefined),
    { description: 'consumer to join its group' },
  );
  return { app, handler: app.get(options.handler, { strict: false }) };
}

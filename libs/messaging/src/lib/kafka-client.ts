import { Logger } from '@nestjs/common';
import { kafkaTlsOptions } from '@ward/config';
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import { type KafkaConnectionOptions } from './messaging.options';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/** kafkajs logs routed to Nest's logger; only warnings and errors by default. */
function logCreator() {
  const logger = new Logger('kafkajs');
  return ({ level, log }: LogEntry) => {
    const { message, ...extra } = log;
    // Retries are bounded on purpose (an HTTP caller must get an answer); the
    // broker still deduplicates retried batches by producer id and sequence.
    if (message.startsWith('Limiting retries for the idempotent producer')) {
      return;
    }
    const line = `${message} ${JSON.stringify(extra)}`;
    switch (level) {
      case logLevel.ERROR:
        logger.error(line);
        break;
      case logLevel.WARN:
        logger.warn(line);
        break;
      case logLevel.INFO:
      case logLevel.DEBUG:
      case logLevel.NOTHING:
        logger.debug(line);
        break;
    }
  };
}

function saslOf(sasl: NonNullable<KafkaConnectionOptions['sasl']>): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

export function createKafka(options: KafkaConnectionOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(options.ssl !== undefined && { ssl: kafkaTlsOptions(options.ssl) }),
    ...(options.sasl !== undefined && { sasl: saslOf(options.sasl) }),
    logLevel: logLevel.WARN,
    logCreator,
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

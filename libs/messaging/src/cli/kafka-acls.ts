import { parseArgs } from 'node:util';
import { ConfigError, infrastructureEnv, kafkaSecurity, readEnv } from '@ward/config';
import {
  applyAcls,
  isWardService,
  kafkaAclsCommands,
  SERVICE_KAFKA_ACCESS,
  serviceAcls,
  WARD_SERVICES,
} from '../lib/kafka-acls';
import { createKafka } from '../lib/kafka-client';

const USAGE = `usage: npm run kafka-acls -- --service <name> --principal User:<name> [options]

Prints the least-privilege Kafka ACLs of one Ward service as kafka-acls.sh
commands, or creates them (--apply) with the Kafka settings of the environment
(KAFKA_BROKERS, KAFKA_SSL_*, KAFKA_SASL_*), which must be an administrator's.

  --service <name>        ${WARD_SERVICES.join(', ')}
  --principal User:<x>    the service's principal: its certificate's mapped CN or SASL user
  --group <id>            its consumer group (default: the service's *_CONSUMER_GROUP
                          from the environment, else its default)
  --topic-prefix <p>      topic prefix (default: KAFKA_TOPIC_PREFIX)
  --bootstrap <h:p,...>   brokers (default: KAFKA_BROKERS)
  --command-config <f>    --command-config of the printed commands (default: admin.properties)
  --apply                 create the ACLs instead of printing commands`;

class UsageError extends Error {}

/** `npm run kafka-acls`: one service's ACLs, printed or applied. */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      service: { type: 'string' },
      principal: { type: 'string' },
      group: { type: 'string' },
      'topic-prefix': { type: 'string' },
      bootstrap: { type: 'string' },
      'command-config': { type: 'string' },
      apply: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const service = values.service;
  if (service === undefined || !isWardService(service)) {
    throw new UsageError(`--service: expected one of ${WARD_SERVICES.join(', ')}`);
  }
  if (values.principal === undefined) {
    throw new UsageError('--principal: required (User:<name>)');
  }
  const e = readEnv(infrastructureEnv, {
    ...process.env,
    ...(values.bootstrap !== undefined && { KAFKA_BROKERS: values.bootstrap }),
    ...(values['topic-prefix'] !== undefined && { KAFKA_TOPIC_PREFIX: values['topic-prefix'] }),
  });
  const access = SERVICE_KAFKA_ACCESS[service];
  const acls = serviceAcls(service, {
    principal: values.principal,
    topicPrefix: e.KAFKA_TOPIC_PREFIX,
    group: values.group ?? process.env[access.groupSetting] ?? access.defaultGroup,
  });
  if (!values.apply) {
    console.log(
      kafkaAclsCommands(acls, e.KAFKA_BROKERS.join(','), values['command-config']).join('\n'),
    );
    return;
  }
  const { security, problems } = kafkaSecurity(e);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  const admin = createKafka({
    brokers: e.KAFKA_BROKERS,
    clientId: e.KAFKA_CLIENT_ID ?? 'ward-kafka-acls',
    topicPrefix: e.KAFKA_TOPIC_PREFIX,
    ensureTopics: false,
    ...security,
  }).admin();
  await admin.connect();
  try {
    await applyAcls(admin, acls);
  } finally {
    await admin.disconnect();
  }
  console.log(`applied ${acls.length} ACLs for ${values.principal} (${service})`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  if (
    error instanceof UsageError ||
    (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    console.error(USAGE);
    process.exit(2);
  }
  process.exit(1);
});

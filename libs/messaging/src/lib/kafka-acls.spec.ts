import { topicRegistry, TOPIC_SPECS } from '@ward/contracts';
import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import {
  aclLine,
  kafkaAclsCommands,
  SERVICE_KAFKA_ACCESS,
  serviceAcls,
  toKafkaAcls,
  WARD_SERVICES,
  type WardService,
} from './kafka-acls';

const topics = topicRegistry('p.');
const lines = (service: WardService, group?: string) =>
  serviceAcls(service, {
    principal: 'User:svc',
    topicPrefix: 'p.',
    ...(group !== undefined && { group }),
  }).map(aclLine);

describe('serviceAcls', () => {
  it('gives fusion Read on alerts, Write on incidents and the DLQ, Describe elsewhere, its group', () => {
    expect(lines('fusion', 'g-fusion').sort()).toEqual(
      [
        `ALLOW READ TOPIC LITERAL ${topics.threatAlerts.name}`,
        `ALLOW WRITE TOPIC LITERAL ${topics.incidents.name}`,
        `ALLOW WRITE TOPIC LITERAL ${topics.dlq.name}`,
        `ALLOW DESCRIBE TOPIC LITERAL ${topics.telemetryRaw.name}`,
        `ALLOW DESCRIBE TOPIC LITERAL ${topics.behavioralEvents.name}`,
        `ALLOW DESCRIBE TOPIC LITERAL ${topics.responseActions.name}`,
        `ALLOW DESCRIBE TOPIC LITERAL ${topics.agentControl.name}`,
        `ALLOW DESCRIBE TOPIC LITERAL ${topics.policies.name}`,
        'ALLOW READ GROUP LITERAL g-fusion',
      ].sort(),
    );
  });

  it('never lets ingest read alerts or incidents, nor fusion write events', () => {
    const ingest = lines('sentinel-ingest');
    expect(ingest).not.toContain(`ALLOW READ TOPIC LITERAL ${topics.threatAlerts.name}`);
    expect(ingest).not.toContain(`ALLOW READ TOPIC LITERAL ${topics.incidents.name}`);
    expect(ingest).not.toContain(`ALLOW WRITE TOPIC LITERAL ${topics.incidents.name}`);
    expect(lines('fusion')).not.toContain(
      `ALLOW WRITE TOPIC LITERAL ${topics.behavioralEvents.name}`,
    );
  });

  it('covers the per-instance groups with a prefixed rule under the service group', () => {
    expect(lines('sentinel-ingest', 'ing')).toEqual(
      expect.arrayContaining([
        'ALLOW READ GROUP LITERAL ing',
        'ALLOW READ GROUP PREFIXED ing-policies-',
      ]),
    );
    expect(lines('policy-generator')).toContain(
      'ALLOW READ GROUP PREFIXED ward-policy-generator-dry-run-',
    );
  });

  it.each(WARD_SERVICES)(
    '%s: reads or writes only Ward topics, touches each one, and writes the DLQ',
    (service) => {
      const access = SERVICE_KAFKA_ACCESS[service];
      expect(access.writes).toContain('dlq');
      expect(access.reads).not.toContain('dlq');
      const acls = serviceAcls(service, { principal: 'User:svc', topicPrefix: '' });
      const topicNames = new Set(
        acls.filter((a) => a.resourceType === 'topic').map((a) => a.resourceName),
      );
      expect([...topicNames].sort()).toEqual(
        Object.values(TOPIC_SPECS)
          .map((t) => t.baseName)
          .sort(),
      );
      expect(acls.every((a) => a.patternType === 'literal' || a.resourceType === 'group')).toBe(
        true,
      );
    },
  );

  it('only the monitor and the response engine write agent control; only the generator writes policies', () => {
    const writers = (topic: string) =>
      WARD_SERVICES.filter((s) =>
        (SERVICE_KAFKA_ACCESS[s].writes as readonly string[]).includes(topic),
      );
    expect(writers('agentControl')).toEqual(['behavioral-monitor', 'response-engine']);
    expect(writers('policies')).toEqual(['policy-generator']);
    expect(writers('behavioralEvents')).toEqual(['sentinel-ingest']);
    expect(writers('incidents')).toEqual(['fusion']);
  });

  it.each(['fusion', 'User:', 'User:*', 'User:a b', 'User:a;User:b'])(
    'refuses the principal %j',
    (principal) => {
      expect(() => serviceAcls('fusion', { principal, topicPrefix: '' })).toThrow(/principal/);
    },
  );
});

describe('kafkaAclsCommands', () => {
  it('prints one kafka-acls.sh command per resource, quoting what needs it', () => {
    const acls = serviceAcls('behavioral-monitor', {
      principal: 'User:monitor',
      topicPrefix: '',
      group: "odd group's",
    });
    const commands = kafkaAclsCommands(acls, 'k1:9093,k2:9093');
    expect(commands).toContain(
      'kafka-acls.sh --bootstrap-server k1:9093,k2:9093 --command-config admin.properties --add --allow-principal User:monitor --operation Read --operation Write --topic ward.agent-control.v1',
    );
    expect(commands).toContain(
      `kafka-acls.sh --bootstrap-server k1:9093,k2:9093 --command-config admin.properties --add --allow-principal User:monitor --operation Read --group 'odd group'\\''s'`,
    );
    expect(commands).toHaveLength(9);
  });

  it('marks prefixed rules', () => {
    const commands = kafkaAclsCommands(
      serviceAcls('policy-generator', { principal: 'User:policy', topicPrefix: '' }),
      'k:9093',
      '/etc/kafka/admin.properties',
    );
    expect(commands.at(-1)).toBe(
      'kafka-acls.sh --bootstrap-server k:9093 --command-config /etc/kafka/admin.properties --add --allow-principal User:policy --operation Read --resource-pattern-type prefixed --group ward-policy-generator-dry-run-',
    );
  });
});

describe('toKafkaAcls', () => {
  it('maps to kafkajs createAcls entries, allow from any host', () => {
    const [first] = toKafkaAcls([
      {
        principal: 'User:x',
        resourceType: 'group',
        patternType: 'prefixed',
        resourceName: 'g-',
        operation: 'Read',
      },
    ]);
    expect(first).toEqual({
      principal: 'User:x',
      host: '*',
      resourceType: AclResourceTypes.GROUP,
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      resourceName: 'g-',
      operation: AclOperationTypes.READ,
      permissionType: 3,
    });
  });
});

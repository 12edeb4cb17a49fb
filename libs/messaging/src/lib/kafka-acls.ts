import { allTopics, type TopicId, topicRegistry } from '@ward/contracts';
import {
  type AclEntry,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  ResourcePatternTypes,
} from 'kafkajs';

export const WARD_SERVICES = [
  'sentinel-ingest',
  'behavioral-monitor',
  'fusion',
  'response-engine',
  'policy-generator',
] as const;

export type WardService = (typeof WARD_SERVICES)[number];

/** What one service does on Kafka: the source of its least-privilege ACLs. */
export interface ServiceKafkaAccess {
  /** Topics it consumes (Read). */
  readonly reads: readonly TopicId[];
  /** Topics it produces to (Write); every consumer dead-letters, so `dlq` is in each. */
  readonly writes: readonly TopicId[];
  /** The setting that names its consumer group, and that setting's default. */
  readonly groupSetting: string;
  readonly defaultGroup: string;
  /**
   * Suffixes of the throwaway groups it makes per instance or per request
   * (`<group><suffix><uuid>`): allowed by a prefixed ACL.
   */
  readonly groupSuffixes: readonly string[];
}

/**
 * Each service's use of Kafka, read off its `*.consumer.ts` handlers, its
 * producers and its throwaway consumers (DESIGN.md's topic table):
 * - sentinel-ingest reads raw telemetry (group INGEST_CONSUMER_GROUP) and the
 *   compacted policies topic (a CompactedTable per instance,
 *   `<group>-policies-<uuid>`); writes events, inline-detector alerts, DLQ.
 * - behavioral-monitor reads events and agent control (its own tier changes,
 *   across replicas); writes alerts and agent control.
 * - fusion reads alerts; writes incidents.
 * - response-engine reads incidents; writes response actions and agent control.
 * - policy-generator reads alerts, incidents, actions and, for a policy dry
 *   run, events (`<group>-dry-run-<uuid>`); writes policies.
 */
export const SERVICE_KAFKA_ACCESS: { readonly [S in WardService]: ServiceKafkaAccess } = {
  'sentinel-ingest': {
    reads: ['telemetryRaw', 'policies'],
    writes: ['behavioralEvents', 'threatAlerts', 'dlq'],
    groupSetting: 'INGEST_CONSUMER_GROUP',
    defaultGroup: 'ward-sentinel-ingest',
    groupSuffixes: ['-policies-'],
  },
  'behavioral-monitor': {
    reads: ['behavioralEvents', 'agentControl'],
    writes: ['threatAlerts', 'agentControl', 'dlq'],
    groupSetting: 'MONITOR_CONSUMER_GROUP',
    defaultGroup: 'ward-behavioral-monitor',
    groupSuffixes: [],
  },
  fusion: {
    reads: ['threatAlerts'],
    writes: ['incidents', 'dlq'],
    groupSetting: 'FUSION_CONSUMER_GROUP',
    defaultGroup: 'ward-fusion',
    groupSuffixes: [],
  },
  'response-engine': {
    reads: ['incidents'],
    writes: ['responseActions', 'agentControl', 'dlq'],
    groupSetting: 'RESPONSE_CONSUMER_GROUP',
    defaultGroup: 'ward-response-engine',
    groupSuffixes: [],
  },
  'policy-generator': {
    reads: ['threatAlerts', 'incidents', 'responseActions', 'behavioralEvents'],
    writes: ['policies', 'dlq'],
    groupSetting: 'POLICY_CONSUMER_GROUP',
    defaultGroup: 'ward-policy-generator',
    groupSuffixes: ['-dry-run-'],
  },
};

export function isWardService(name: string): name is WardService {
  return (WARD_SERVICES as readonly string[]).includes(name);
}

export type AclOperation = 'Read' | 'Write' | 'Describe';

/** One allow rule, in the words of `kafka-acls.sh`. */
export interface WardAcl {
  readonly principal: string;
  readonly resourceType: 'topic' | 'group';
  readonly patternType: 'literal' | 'prefixed';
  readonly resourceName: string;
  readonly operation: AclOperation;
}

export interface ServiceAclOptions {
  /** `User:<name>`: the certificate's mapped CN, or the SASL user name. */
  readonly principal: string;
  readonly topicPrefix: string;
  /** The service's consumer group (default: `SERVICE_KAFKA_ACCESS[service].defaultGroup`). */
  readonly group?: string;
}

/**
 * The least-privilege ACLs of one service: Read on what it consumes, Write on
 * what it produces, Describe (names and partitions, never records) on the other
 * Ward topics because every service checks at start-up that all of them exist,
 * and Read on its consumer groups. Nothing on the cluster: topics are created
 * by an administrator (`npm run topics`), and since Kafka 2.8 an idempotent
 * producer needs Write on a topic, not IdempotentWrite on the cluster (KIP-679).
 * No service uses transactions, so there is no TransactionalId rule.
 */
export function serviceAcls(service: WardService, options: ServiceAclOptions): WardAcl[] {
  if (!/^User:[^\s;*][^\s;]*$/.test(options.principal)) {
    throw new Error(
      `principal "${options.principal}": expected User:<name> (no spaces, not a wildcard)`,
    );
  }
  const access = SERVICE_KAFKA_ACCESS[service];
  const registry = topicRegistry(options.topicPrefix);
  const group = options.group ?? access.defaultGroup;
  if (group === '') {
    throw new Error('consumer group: empty');
  }
  const principal = options.principal;
  const acls: WardAcl[] = [];
  for (const topic of allTopics(registry)) {
    const operations: AclOperation[] = [
      ...(access.reads.includes(topic.id) ? (['Read'] as const) : []),
      ...(access.writes.includes(topic.id) ? (['Write'] as const) : []),
    ];
    for (const operation of operations.length > 0 ? operations : (['Describe'] as const)) {
      acls.push({
        principal,
        resourceType: 'topic',
        patternType: 'literal',
        resourceName: topic.name,
        operation,
      });
    }
  }
  acls.push({
    principal,
    resourceType: 'group',
    patternType: 'literal',
    resourceName: group,
    operation: 'Read',
  });
  for (const suffix of access.groupSuffixes) {
    acls.push({
      principal,
      resourceType: 'group',
      patternType: 'prefixed',
      resourceName: `${group}${suffix}`,
      operation: 'Read',
    });
  }
  return acls;
}

const shellQuote = (s: string) =>
  /^[A-Za-z0-9_.:@%+=,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The same ACLs as `kafka-acls.sh --add` commands, one per resource. The
 * command config holds the administrator's TLS or SASL client settings.
 */
export function kafkaAclsCommands(
  acls: readonly WardAcl[],
  bootstrap: string,
  commandConfig = 'admin.properties',
): string[] {
  const byResource = new Map<string, WardAcl[]>();
  for (const acl of acls) {
    const key = `${acl.principal}\0${acl.resourceType}\0${acl.patternType}\0${acl.resourceName}`;
    byResource.set(key, [...(byResource.get(key) ?? []), acl]);
  }
  return [...byResource.values()].map((same) => {
    const first = same[0]!;
    return [
      'kafka-acls.sh',
      `--bootstrap-server ${shellQuote(bootstrap)}`,
      `--command-config ${shellQuote(commandConfig)}`,
      '--add',
      `--allow-principal ${shellQuote(first.principal)}`,
      ...same.map((a) => `--operation ${a.operation}`),
      ...(first.patternType === 'prefixed' ? ['--resource-pattern-type prefixed'] : []),
      `--${first.resourceType} ${shellQuote(first.resourceName)}`,
    ].join(' ');
  });
}

const OPERATIONS: Record<AclOperation, AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
};

/** kafkajs `createAcls` entries for `acls` (allow, from any host). */
export function toKafkaAcls(acls: readonly WardAcl[]): AclEntry[] {
  return acls.map((a) => ({
    principal: a.principal,
    host: '*',
    resourceType: a.resourceType === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourcePatternType:
      a.patternType === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    resourceName: a.resourceName,
    operation: OPERATIONS[a.operation],
    permissionType: AclPermissionTypes.ALLOW,
  }));
}

/**
 * Creates `acls` on the cluster (an ACL that exists already is left as it
 * is). The admin client must be a super user or hold Alter on the cluster.
 */
export async function applyAcls(admin: Admin, acls: readonly WardAcl[]): Promise<void> {
  await admin.createAcls({ acl: toKafkaAcls(acls) });
}

/** One ACL as a line (`ALLOW READ TOPIC LITERAL ward.incidents.v1`), to compare sets. */
export function aclLine(acl: WardAcl): string {
  return [
    'ALLOW',
    acl.operation.toUpperCase(),
    acl.resourceType.toUpperCase(),
    acl.patternType.toUpperCase(),
    acl.resourceName,
  ].join(' ');
}

// kafkajs's enums are plain objects at run time, without TypeScript's reverse mapping.
const nameOf = (values: object, value: number): string =>
  Object.entries(values).find(([, v]) => v === value)?.[0] ?? String(value);

/**
 * Every ACL the cluster holds for `principal`, as `aclLine` lines (deny rules,
 * other operations and resource types included), sorted: for checks and audits.
 */
export async function describePrincipalAcls(admin: Admin, principal: string): Promise<string[]> {
  const { resources } = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    principal,
    host: '*',
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  return resources
    .flatMap((r) =>
      r.acls.map((acl) =>
        [
          nameOf(AclPermissionTypes, acl.permissionType),
          nameOf(AclOperationTypes, acl.operation),
          nameOf(AclResourceTypes, r.resourceType),
          nameOf(ResourcePatternTypes, r.resourcePatternType),
          r.resourceName,
        ].join(' '),
      ),
    )
    .sort();
}

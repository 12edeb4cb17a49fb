export type CleanupPolicy = 'delete' | 'compact';

export interface TopicSpec {
  /** Name without the deployment prefix. */
  readonly baseName: string;
  readonly partitions: number;
  readonly cleanupPolicy: CleanupPolicy;
  readonly retentionMs?: number;
  readonly description: string;
  readonly key: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const TOPIC_SPECS = {
  telemetryRaw: {
    baseName: 'ward.telemetry.raw.v1',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 3 * DAY_MS,
    description: 'Raw telemetry from agents and gateways, any accepted shape.',
    key: 'agent id if known',
  },
  behavioralEvents: {
    baseName: 'ward.behavioral-events.v1',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    description: 'Validated, normalized BehavioralEvents.',
    key: 'tenantId/agentId',
  },
  threatAlerts: {
    baseName: 'ward.threat-alerts.v1',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    description: 'ThreatAlerts from the monitor and ingest inline detectors.',
    key: 'tenantId/agentId',
  },
  incidents: {
    baseName: 'ward.incidents.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    description: 'Correlated, enriched incidents.',
    key: 'incident id',
  },
  responseActions: {
    baseName: 'ward.response-actions.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    description: 'Every state change of a response action.',
    key: 'incident id',
  },
  agentControl: {
    baseName: 'ward.agent-control.v1',
    partitions: 6,
    cleanupPolicy: 'compact',
    description: 'Latest control state per agent (tier, quarantine, rate limit).',
    key: 'tenantId/agentId',
  },
  policies: {
    baseName: 'ward.policies.v1',
    partitions: 3,
    cleanupPolicy: 'compact',
    description: 'Policies (proposed, active, retired); a tombstone when retired.',
    key: 'policy id',
  },
  dlq: {
    baseName: 'ward.dlq.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 14 * DAY_MS,
    description: 'Poison messages with their reason and source topic/partition/offset.',
    key: 'source topic',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicId = keyof typeof TOPIC_SPECS;

export interface ResolvedTopic extends TopicSpec {
  readonly id: TopicId;
  readonly name: string;
}

export type TopicRegistry = { readonly [K in TopicId]: ResolvedTopic };

/**
 * Topic names for a deployment. A prefix lets several meshes (or test suites)
 * share one cluster without seeing each other's records.
 */
export function topicRegistry(prefix = ''): TopicRegistry {
  if (prefix !== '' && !/^[A-Za-z0-9._-]+$/.test(prefix)) {
    throw new Error(`invalid topic prefix "${prefix}": use letters, digits, '.', '_' or '-'`);
  }
  const entries = Object.entries(TOPIC_SPECS).map(([id, spec]) => [
    id,
    { ...spec, id: id as TopicId, name: `${prefix}${spec.baseName}` },
  ]);
  return Object.fromEntries(entries) as TopicRegistry;
}

export function allTopics(registry: TopicRegistry): ResolvedTopic[] {
  return Object.values(registry);
}

import { type GraphNodeKind, type IncidentGraph } from '@ward/contracts';
import { type IncidentCore } from './correlate';

/**
 * The incident graph: agents, sessions, requesters, tools, resources,
 * indicators and alerts as nodes; edges carry the relation and the event time
 * it was first seen. Deterministic: the same alerts give the same graph.
 */
export function buildGraph(core: IncidentCore): IncidentGraph {
  const nodes = new Map<string, IncidentGraph['nodes'][number]>();
  const edges = new Map<string, IncidentGraph['edges'][number]>();
  const node = (kind: GraphNodeKind, value: string, label = value): string => {
    const id = `${kind}:${value}`;
    if (!nodes.has(id)) {
      nodes.set(id, { id, kind, label: label.slice(0, 2048) });
    }
    return id;
  };
  const edge = (from: string, to: string, relation: string, atMs: number) => {
    const key = `${from}\u001f${to}\u001f${relation}`;
    const at = new Date(atMs).toISOString();
    const known = edges.get(key);
    if (known === undefined || at < known.at) {
      edges.set(key, { from, to, relation, at });
    }
  };
  for (const a of core.alerts) {
    const t = a.observedAtMs;
    const alert = node('alert', a.alertId, `${a.detector} (${a.severity})`);
    const agent = node('agent', a.agentId);
    edge(alert, agent, 'raised_on', t);
    if (a.sessionId !== undefined) {
      edge(agent, node('session', a.sessionId), 'ran_session', t);
    }
    if (a.requesterId !== undefined) {
      edge(node('requester', a.requesterId), agent, 'requested', t);
    }
    for (const tool of a.tools) {
      edge(agent, node('tool', tool), 'used', t);
    }
    for (const resource of a.resources) {
      edge(agent, node('resource', resource), 'touched', t);
    }
    for (const indicator of a.indicators) {
      const colon = indicator.indexOf(':');
      const id = node('indicator', indicator, indicator.slice(colon + 1));
      edge(agent, id, 'contacted', t);
      edge(alert, id, 'references', t);
    }
  }
  const byId = (x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id);
  return {
    nodes: [...nodes.values()].sort(byId).slice(0, 5000),
    edges: [...edges.values()]
      .sort(
        (x, y) =>
          x.at.localeCompare(y.at) ||
          x.from.localeCompare(y.from) ||
          x.to.localeCompare(y.to) ||
          x.relation.localeCompare(y.relation),
      )
      .slice(0, 10000),
  };
}

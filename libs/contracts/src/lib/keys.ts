/** Message key that keeps one agent's records in order on one partition. */
export function agentKey(tenantId: string, agentId: string): string {
  return `${tenantId}/${agentId}`;
}

/** Inverse of agentKey; tenant ids never contain '/', agent ids may. */
export function parseAgentKey(key: string): { tenantId: string; agentId: string } | undefined {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) {
    return undefined;
  }
  return { tenantId: key.slice(0, slash), agentId: key.slice(slash + 1) };
}

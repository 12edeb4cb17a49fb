/**
 * Alert cooldowns of one agent, in event time: after an alert of a detector
 * and severity, the same detector and severity stay quiet for `cooldownMs`
 * of the agent's event time. Per severity, so an escalation (medium, then
 * high, then critical) is never held back.
 *
 * The state belongs to the agent's profile: the monitor checkpoints it with
 * the profile and the partition offset in one transaction, so a replay from a
 * checkpoint decides every alert exactly as the first pass did, whatever
 * crashed or was lost in between.
 */
export interface CooldownSpan {
  /** Event time the alert that opened it starts (ms). */
  readonly startMs: number;
  /** Event time it ends (exclusive, ms). */
  readonly untilMs: number;
}

/** Open cooldowns of one agent, by `detector:severity`. */
export type AgentCooldowns = Map<string, CooldownSpan>;

/** Largest number of cooldowns one agent keeps: detectors × severities, with room to spare. */
export const MAX_COOLDOWNS = 64;

export function cooldownKey(detector: string, severity: string): string {
  return `${detector}:${severity}`;
}

/**
 * Whether an alert whose evidence starts at `windowStartMs` may be emitted;
 * when it may, it opens the key's cooldown. An alert inside the open span is
 * held back; one older than the span (late evidence) passes without moving
 * it; one at or past its end opens a new span.
 */
export function admitAlert(
  cooldowns: AgentCooldowns,
  key: string,
  windowStartMs: number,
  cooldownMs: number,
): boolean {
  if (cooldownMs <= 0) {
    return true;
  }
  const open = cooldowns.get(key);
  if (open !== undefined) {
    if (windowStartMs >= open.startMs && windowStartMs < open.untilMs) {
      return false;
    }
    if (windowStartMs < open.startMs) {
      return true;
    }
  }
  cooldowns.delete(key);
  cooldowns.set(key, { startMs: windowStartMs, untilMs: windowStartMs + cooldownMs });
  // Keys are detector × severity, so this never trims in practice; it bounds
  // what a hostile stream of detector names could make an agent hold.
  while (cooldowns.size > MAX_COOLDOWNS) {
    cooldowns.delete(cooldowns.keys().next().value as string);
  }
  return true;
}

/** Drops spans that ended before `beforeMs` (the agent's event time has moved past them). */
export function pruneCooldowns(cooldowns: AgentCooldowns, beforeMs: number): void {
  for (const [key, span] of cooldowns) {
    if (span.untilMs < beforeMs) {
      cooldowns.delete(key);
    }
  }
}

/** `[[key, startMs, untilMs], …]`, in the order the spans were opened; null when there is none. */
export function serializeCooldowns(
  cooldowns: AgentCooldowns | null,
): [string, number, number][] | null {
  if (cooldowns === null || cooldowns.size === 0) {
    return null;
  }
  return [...cooldowns].map(([key, s]) => [key, s.startMs, s.untilMs]);
}

/** The inverse of serializeCooldowns; anything malformed is refused with the reason. */
export function deserializeCooldowns(value: unknown): AgentCooldowns | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (!Array.isArray(value)) {
    throw new Error('cooldowns: expected an array');
  }
  const cooldowns: AgentCooldowns = new Map();
  for (const item of value as unknown[]) {
    if (
      !Array.isArray(item) ||
      item.length !== 3 ||
      typeof item[0] !== 'string' ||
      !Number.isFinite(item[1]) ||
      !Number.isFinite(item[2])
    ) {
      throw new Error(`cooldowns: expected [key, startMs, untilMs], got ${JSON.stringify(item)}`);
    }
    cooldowns.set(item[0], { startMs: item[1] as number, untilMs: item[2] as number });
  }
  return cooldowns.size === 0 ? null : cooldowns;
}

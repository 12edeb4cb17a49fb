const MINUTE_MS = 60_000;

/**
 * Calls per agent in the current event-time minute, the `context.callsPerMinute`
 * a rate ceiling reads. Bounded: past `maxAgents` the least recently seen
 * agent is forgotten (its next call starts a new count), so hostile agent ids
 * cannot grow it.
 */
export class CallRateCounter {
  private readonly counts = new Map<string, { minute: number; count: number }>();

  constructor(private readonly maxAgents = 100_000) {}

  /** Counts one call at `timestampMs` and returns the calls of that minute so far, this one included. */
  record(key: string, timestampMs: number): number {
    const minute = Math.floor(timestampMs / MINUTE_MS);
    const entry = this.counts.get(key);
    this.counts.delete(key);
    let next: { minute: number; count: number };
    if (entry === undefined || minute > entry.minute) {
      next = { minute, count: 1 };
    } else if (minute === entry.minute) {
      next = { minute, count: entry.count + 1 };
    } else {
      // A late call for an earlier minute: counted against the minute in progress.
      next = { minute: entry.minute, count: entry.count + 1 };
    }
    this.counts.set(key, next);
    if (this.counts.size > this.maxAgents) {
      this.counts.delete(this.counts.keys().next().value!);
    }
    return next.count;
  }

  get size(): number {
    return this.counts.size;
  }
}

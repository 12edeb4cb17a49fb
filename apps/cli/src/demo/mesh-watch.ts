import {
  type BehavioralEvent,
  type Incident,
  type Policy,
  type ResponseAction,
  type ThreatAlert,
} from '@ward/contracts';
import { CliError } from '../cli/errors';
import { type KafkaHandle, TopicFollower } from '../client/kafka.client';

/**
 * Everything the mesh publishes about one tenant while a demo runs: alerts,
 * incident versions, step transitions, policy versions and (for enforcement)
 * events. Stages wait on conditions over it, woken by each new record.
 */
export class MeshWatch {
  readonly alerts: ThreatAlert[] = [];
  readonly incidents: Incident[] = [];
  readonly actions: ResponseAction[] = [];
  readonly policies: Policy[] = [];
  readonly events: BehavioralEvent[] = [];
  private readonly follower: TopicFollower;
  private wake: (() => void)[] = [];
  private readonly listeners: ((topic: string, value: unknown) => void)[] = [];

  constructor(
    private readonly handle: KafkaHandle,
    private readonly tenant: string,
  ) {
    const t = handle.topics;
    this.follower = new TopicFollower(
      handle,
      [
        t.threatAlerts.name,
        t.incidents.name,
        t.responseActions.name,
        t.policies.name,
        t.behavioralEvents.name,
      ],
      false,
    );
  }

  async start(): Promise<void> {
    const t = this.handle.topics;
    await this.follower.start((topic, value) => {
      if ((value as { tenantId?: unknown }).tenantId !== this.tenant) {
        return;
      }
      if (topic === t.threatAlerts.name) {
        this.alerts.push(value as ThreatAlert);
      } else if (topic === t.incidents.name) {
        this.incidents.push(value as Incident);
      } else if (topic === t.responseActions.name) {
        this.actions.push(value as ResponseAction);
      } else if (topic === t.policies.name) {
        this.policies.push(value as Policy);
      } else if (topic === t.behavioralEvents.name) {
        this.events.push(value as BehavioralEvent);
      }
      for (const listener of this.listeners) {
        listener(topic, value);
      }
      const waiting = this.wake;
      this.wake = [];
      waiting.forEach((w) => w());
    });
  }

  /** Called for every record of the tenant as it arrives (live narration). */
  onRecord(listener: (topic: string, value: unknown) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) {
        this.listeners.splice(i, 1);
      }
    };
  }

  /**
   * Resolves with the first defined value of `probe`, evaluated now and after
   * every new record; a CliError naming `what` (and what to check) after
   * `timeoutMs`, or when `signal` aborts.
   */
  async until<T>(
    probe: () => T | undefined,
    options: { what: string; hint: string; timeoutMs: number; signal: AbortSignal },
  ): Promise<T> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) {
        return value;
      }
      if (options.signal.aborted) {
        throw new CliError(`interrupted while waiting for ${options.what}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CliError(
          `no ${options.what} within ${Math.round(options.timeoutMs / 1000)} s`,
          options.hint,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1000));
        const onAbort = () => done();
        options.signal.addEventListener('abort', onAbort);
        this.wake.push(done);
        function done() {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    }
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }
}

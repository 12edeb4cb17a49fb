import { Inject, Injectable } from '@nestjs/common';
import { agentKey, type BehavioralEvent, type ThreatAlert } from '@ward/contracts';
import { CallRateDetector, type CallRateState } from '@ward/detectors';
import { callRateAlert } from '../alerts/alert-factory';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';

export interface ObserveOutcome {
  readonly alerts: ThreatAlert[];
  readonly late: number;
}

/**
 * Per-agent behavioral profiles, held in memory for the partitions this
 * instance owns. Pure domain: no I/O, so the verdicts depend only on the order
 * of each agent's events.
 */
@Injectable()
export class ProfilesService {
  private readonly detector: CallRateDetector;
  private readonly states = new Map<string, CallRateState>();

  constructor(@Inject(MONITOR_CONFIG) config: Pick<MonitorConfig, 'callRate'>) {
    this.detector = new CallRateDetector(config.callRate);
  }

  get trackedAgents(): number {
    return this.states.size;
  }

  observe(events: readonly BehavioralEvent[]): ObserveOutcome {
    const alerts: ThreatAlert[] = [];
    let late = 0;
    for (const event of events) {
      const timestampMs = Date.parse(event.timestamp);
      const key = agentKey(event.tenantId, event.agentId);
      let state = this.states.get(key);
      if (state === undefined) {
        state = this.detector.newState(timestampMs);
        this.states.set(key, state);
      }
      const verdict = this.detector.observe(state, { eventId: event.eventId, timestampMs });
      switch (verdict.kind) {
        case 'counted':
          break;
        case 'late':
          late += 1;
          break;
        case 'spike':
          alerts.push(callRateAlert(event, verdict));
          break;
      }
    }
    return { alerts, late };
  }
}

import { type DetectorId } from '../techniques';
import { brayCurtis, linearFit, type ProfileEvent, ProfileEngine, tierForScore } from './engine';
import {
  applyOverrides,
  DEFAULT_PROFILE_SETTINGS,
  type ProfileSettings,
  profileSettingsProblems,
} from './settings';
import { distinctAdd, distinctEstimate, hash32 } from './sketches';
import { type AgentProfile, deserializeProfile, newProfile, serializeProfile } from './state';

const W = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const settings: ProfileSettings = {
  ...DEFAULT_PROFILE_SETTINGS,
  windowMs: W,
  allowedLatenessMs: 0,
};

let seq = 0;
function ev(window: number, offsetMs: number, over: Partial<ProfileEvent> = {}): ProfileEvent {
  seq += 1;
  return {
    eventId: `e${seq}`,
    timestampMs: T0 + window * W + offsetMs,
    action: 'search',
    outcome: 'ok',
    parameterEntropy: 3,
    sessionId: 's1',
    ...over,
  };
}

/** `perWindow` evenly spaced calls in each of `windows` windows from `first`. */
function steady(
  first: number,
  windows: number,
  perWindow: number,
  over: Partial<ProfileEvent> = {},
) {
  const out: ProfileEvent[] = [];
  for (let w = first; w < first + windows; w++) {
    for (let i = 0; i < perWindow; i++) {
      out.push(ev(w, Math.floor((i * W) / perWindow), over));
    }
  }
  return out;
}

function run(events: readonly ProfileEvent[], s = settings, profile: AgentProfile = newProfile()) {
  const engine = new ProfileEngine();
  const findings = [];
  const tiers = [];
  let late = 0;
  for (const e of events) {
    const r = engine.observe(profile, e, s);
    findings.push(...r.findings);
    tiers.push(...r.tierChanges);
    late += r.late ? 1 : 0;
  }
  return { profile, findings, tiers, late, engine };
}

const detectors = (fs: readonly { detector: DetectorId }[]) => fs.map((f) => f.detector);

describe('ProfileEngine windows', () => {
  it('gives no verdict on a cold baseline, however extreme the window', () => {
    const { findings } = run([...steady(0, 2, 10), ...steady(2, 1, 500)]);
    expect(findings).toEqual([]);
  });

  it('fires a call-rate spike mid-window at the call that crosses the threshold', () => {
    // Baseline of 10 calls per window, Poisson floor sqrt(10): threshold 10 + 4 * 3.16 = 22.6.
    const { findings } = run([...steady(0, 5, 10), ...steady(5, 1, 500)]);
    const spike = findings.find((f) => f.detector === 'call_rate_spike');
    expect(spike).toBeDefined();
    expect(spike!.value).toBe(23);
    expect(spike!.windowStart).toBe(T0 + 5 * W);
    expect(spike!.observedAt).toBeLessThan(T0 + 6 * W);
    expect(spike!.baselineMean).toBe(10);
    expect(spike!.zScore).toBeGreaterThanOrEqual(4);
    expect(spike!.sampleEventIds.length).toBeGreaterThan(0);
    // Once per window and severity.
    const levels = findings
      .filter((f) => f.detector === 'call_rate_spike')
      .map((f) => tierForScore(f.score));
    expect(new Set(levels).size).toBe(levels.length);
  });

  it('fires exactly at the threshold and not one call before', () => {
    // Zero variance, mean 16: Poisson deviation 4, sigma 4 -> threshold exactly 32 calls.
    const base = steady(0, 4, 16);
    const below = run([...base, ...steady(4, 1, 31)]);
    expect(below.findings.filter((f) => f.detector === 'call_rate_spike')).toEqual([]);
    const at = run([...base, ...steady(4, 1, 32)]);
    const spike = at.findings.find((f) => f.detector === 'call_rate_spike');
    expect(spike?.zScore).toBe(4);
    expect(spike?.score).toBe(0.5);
  });

  it('scores a 50x spike as critical and demotes the agent to quarantine at once', () => {
    const { findings, tiers, profile } = run([...steady(0, 5, 10), ...steady(5, 1, 500)]);
    const spike = findings.find((f) => f.detector === 'call_rate_spike')!;
    expect(spike.score).toBeGreaterThanOrEqual(0.5);
    // The open window escalates medium -> high -> critical as it keeps growing.
    const spikes = findings.filter((f) => f.detector === 'call_rate_spike');
    expect(spikes.map((f) => tierForScore(f.score))).toEqual([2, 3, 4]);
    expect(spikes.map((f) => f.value)).toEqual(
      [...spikes.map((f) => f.value)].sort((a, b) => a - b),
    );
    expect(profile.behaviorTier).toBe(4);
    expect(tiers[0]!.from).toBe(1);
    expect(tiers.at(-1)!.to).toBe(4);
  });

  it('promotes one tier after a run of normal windows, never straight to normal', () => {
    const s = { ...settings, promotionWindows: 3 };
    const burst = run([...steady(0, 5, 10), ...steady(5, 1, 40)], s);
    const tierAfterBurst = burst.profile.behaviorTier;
    expect(tierAfterBurst).toBeGreaterThan(1);
    const calm = run([...steady(6, 3, 10), ...steady(9, 1, 1)], s, burst.profile);
    expect(calm.tiers).toEqual([
      expect.objectContaining({ from: tierAfterBurst, to: tierAfterBurst - 1 }),
    ]);
  });

  it('counts events within the allowed lateness in their window, and later ones as late', () => {
    const s = { ...settings, allowedLatenessMs: 10_000 };
    const events = [
      ev(0, 1000),
      ev(1, 5000), // window 1 opens; window 0 stays open until 70 s
      ev(0, 59_000), // 6 s late: still counted in window 0
      ev(1, 20_000), // watermark 70 s: window 0 closes
      ev(0, 30_000), // too late
    ];
    const { profile, late } = run(events, s);
    expect(late).toBe(1);
    expect(profile.lateEvents).toBe(1);
    expect(profile.baselines[0]).toEqual(expect.objectContaining({ mean: 2, windows: 1 }));
    expect(profile.windows.map((w) => w.calls)).toEqual([2]);
  });

  it('folds silent windows as zeros for counts', () => {
    const { profile } = run([...steady(0, 1, 10), ev(5, 0)]);
    // Window 0 (10), then 4 silent windows.
    expect(profile.baselines[0]!.windows).toBe(5);
    expect(profile.baselines[0]!.mean).toBeLessThan(10);
  });

  it('gives the same findings whatever the window contents are split into', () => {
    const events = [...steady(0, 5, 10), ...steady(5, 1, 80, { outcome: 'denied' })];
    const a = run(events);
    const b = run(events);
    expect(a.findings).toEqual(b.findings);
    expect(serializeProfile(a.profile)).toEqual(serializeProfile(b.profile));
  });
});

describe('rate and volume spikes', () => {
  it('fires on a deny-rate spike (credential probing) once enough calls are in the window', () => {
    const { findings } = run([
      ...steady(0, 5, 20),
      ...steady(5, 1, 20, { outcome: 'denied', action: 'login' }),
    ]);
    const spike = findings.find((f) => f.detector === 'deny_rate_spike');
    expect(spike).toBeDefined();
    expect(spike!.metric).toBe('deny_rate');
    expect(spike!.value).toBe(1);
  });

  it('does not judge rates on too few calls', () => {
    const { findings } = run([...steady(0, 5, 20), ...steady(5, 1, 5, { outcome: 'denied' })]);
    expect(detectors(findings)).not.toContain('deny_rate_spike');
  });

  it('fires on bytes out and distinct resources', () => {
    const base = steady(0, 5, 20, { bytesOut: 1000, resource: 'db://orders' });
    const burst: ProfileEvent[] = [];
    for (let i = 0; i < 20; i++) {
      burst.push(ev(5, i * 1000, { bytesOut: 50_000, resource: `file:///home/u/${i}` }));
    }
    const { findings } = run([...base, ...burst]);
    expect(detectors(findings)).toEqual(
      expect.arrayContaining(['bytes_out_spike', 'resource_diversity_spike', 'new_resource']),
    );
  });
});

describe('first use', () => {
  it('is quiet during warm-up and fires for a tool first used afterwards', () => {
    const warmup = [...steady(0, 2, 5), ev(2, 0, { action: 'shell' }), ...steady(2, 2, 5)];
    const quiet = run(warmup);
    expect(detectors(quiet.findings)).not.toContain('new_tool');
    const { findings } = run([...warmup, ev(4, 30_000, { action: 'http_post' })]);
    const first = findings.find((f) => f.detector === 'new_tool');
    expect(first?.description).toContain('http_post');
    expect(first?.score).toBe(0.55);
  });

  it('does not fire for a tool seen during warm-up', () => {
    const { findings } = run([
      ev(0, 0, { action: 'shell' }),
      ...steady(0, 4, 5),
      ev(4, 30_000, { action: 'shell' }),
    ]);
    expect(detectors(findings)).not.toContain('new_tool');
  });
});

describe('slow drift', () => {
  it('fires on a slow ramp that never spikes', () => {
    // 20 calls per window for 10 windows, then +2 per window.
    const events = [...steady(0, 10, 20)];
    for (let w = 10; w < 20; w++) {
      events.push(...steady(w, 1, 20 + 2 * (w - 9)));
    }
    events.push(ev(20, 0));
    const { findings } = run(events);
    expect(detectors(findings)).not.toContain('call_rate_spike');
    const drift = findings.find((f) => f.detector === 'behavior_drift');
    expect(drift).toBeDefined();
    expect(drift!.metric).toBe('calls');
    expect(drift!.zScore).toBeGreaterThanOrEqual(settings.driftSigma);
  });

  it('stays quiet on a flat but noisy series', () => {
    const events: ProfileEvent[] = [];
    const counts = [20, 23, 18, 21, 19, 24, 17, 22, 20, 18, 23, 19, 21, 20, 22, 18];
    counts.forEach((n, w) => events.push(...steady(w, 1, n)));
    const { findings } = run(events);
    expect(findings).toEqual([]);
  });

  it('fits slopes exactly', () => {
    expect(linearFit([1, 2, 3, 4])).toEqual({ slope: 1, r2: 1 });
    expect(linearFit([5, 5, 5]).slope).toBe(0);
  });
});

describe('tool-mix divergence', () => {
  it('fires when the mix of tools changes while the volume stays the same', () => {
    const base: ProfileEvent[] = [];
    for (let w = 0; w < 5; w++) {
      for (let i = 0; i < 40; i++) {
        base.push(ev(w, i * 1000, { action: i % 2 === 0 ? 'search' : 'read_doc' }));
      }
    }
    const shifted: ProfileEvent[] = [];
    for (let i = 0; i < 40; i++) {
      // Tools already known (so no first-use alert) but in a different mix.
      shifted.push(ev(5, i * 1000, { action: i % 10 === 0 ? 'search' : 'read_doc' }));
    }
    const warm = run([...base, ...steady(5, 0, 0)]);
    const bc = brayCurtis(warm.profile.windows[0]!.toolHist, 40, warm.profile.toolMix);
    expect(bc).toBeLessThan(0.05);
    const { findings } = run([...base, ...shifted]);
    expect(detectors(findings)).not.toContain('tool_mix_divergence');
    const stronger: ProfileEvent[] = [];
    for (let i = 0; i < 40; i++) {
      stronger.push(ev(5, i * 1000, { action: i < 2 ? 'search' : 'delete_record' }));
    }
    const r = run([
      ...base,
      ...steady(4, 0, 0),
      ...[...Array(40).keys()].map((i) => ev(5, i * 1000, { action: 'delete_record' })),
    ]);
    const divergence = r.findings.find((f) => f.detector === 'tool_mix_divergence');
    expect(divergence).toBeDefined();
    expect(divergence!.value).toBeGreaterThanOrEqual(settings.toolMixThreshold);
  });

  it('computes Bray-Curtis dissimilarity', () => {
    const hist = new Uint16Array([2, 2, 0, 0]);
    expect(brayCurtis(hist, 4, new Float64Array([0.5, 0.5, 0, 0]))).toBe(0);
    expect(brayCurtis(hist, 4, new Float64Array([0, 0, 0.5, 0.5]))).toBe(1);
    expect(brayCurtis(hist, 4, new Float64Array([0.5, 0, 0.5, 0]))).toBe(0.5);
  });
});

describe('sessions', () => {
  it('flags an action denied in one session and allowed in a fresh one', () => {
    const { findings } = run([
      ev(0, 0, { sessionId: 'a', action: 'transfer', resource: 'acct:9', outcome: 'denied' }),
      ev(0, 5000, { sessionId: 'b', action: 'transfer', resource: 'acct:9', outcome: 'ok' }),
    ]);
    const reversal = findings.find((f) => f.detector === 'behavior_reversal');
    expect(reversal?.description).toContain('transfer');
    expect(reversal?.score).toBe(0.8);
  });

  it('does not flag an action retried successfully in the same session', () => {
    const { findings } = run([
      ev(0, 0, { sessionId: 'a', action: 'transfer', outcome: 'denied' }),
      ev(0, 5000, { sessionId: 'a', action: 'transfer', outcome: 'ok' }),
    ]);
    expect(findings).toEqual([]);
  });

  it('flags several fresh sessions in a short span with changing outcomes', () => {
    const events = ['a', 'b', 'c', 'd'].map((id, i) =>
      ev(0, i * 10_000, {
        sessionId: id,
        action: `op${i}`,
        outcome: i % 2 === 0 ? 'denied' : 'ok',
      }),
    );
    const { findings } = run(events);
    expect(detectors(findings)).toContain('session_cycling');
    const calm = run(
      ['a', 'b', 'c', 'd'].map((id, i) => ev(0, i * 10_000, { sessionId: id, action: `op${i}` })),
    );
    expect(detectors(calm.findings)).not.toContain('session_cycling');
  });
});

describe('secrets', () => {
  it('assembles a secret split across calls', () => {
    const { findings } = run([
      ev(0, 0, { parameters: { chunk: 'AKIAIOSF' } }),
      ev(0, 1000, { parameters: { chunk: 'ODNN7EXAMPLE' } }),
    ]);
    const split = findings.find((f) => f.detector === 'secret_split');
    expect(split).toBeDefined();
    expect(split!.sampleEventIds).toHaveLength(2);
    expect(split!.score).toBeGreaterThanOrEqual(0.9);
  });

  it('leaves a whole secret in one call to the inline detector', () => {
    const { findings } = run([ev(0, 0, { parameters: { key: 'AKIAIOSFODNN7EXAMPLE' } })]);
    expect(detectors(findings)).not.toContain('secret_split');
  });

  it('flags the same secret kind recurring across sessions', () => {
    const { findings } = run([
      ev(0, 0, { sessionId: 'a', parameters: { token: '[REDACTED:github_token]' } }),
      ev(0, 1000, { sessionId: 'a', parameters: { token: '[REDACTED:github_token]' } }),
      ev(1, 0, { sessionId: 'b', parameters: { note: 'use [REDACTED:github_token] here' } }),
    ]);
    const recurrence = findings.filter((f) => f.detector === 'secret_recurrence');
    expect(recurrence).toHaveLength(1);
    expect(recurrence[0]!.metric).toBe('secret_sessions:github_token');
    expect(recurrence[0]!.sampleEventIds).toHaveLength(2);
  });

  it('ignores personal data markers for secret recurrence', () => {
    const { findings } = run([
      ev(0, 0, { sessionId: 'a', parameters: { to: '[REDACTED:email]' } }),
      ev(0, 1000, { sessionId: 'b', parameters: { to: '[REDACTED:email]' } }),
    ]);
    expect(findings).toEqual([]);
  });
});

describe('composite score', () => {
  it('fires when several metrics deviate together below their own thresholds', () => {
    const s: ProfileSettings = { ...settings, compositeThreshold: 0.5 };
    const base = steady(0, 5, 20, { bytesOut: 10_000, parameterEntropy: 3 });
    const drifted = steady(5, 1, 30, { bytesOut: (10_000 * 1.4) / 1.5, parameterEntropy: 3.6 });
    const { findings } = run([...base, ...drifted], s);
    const composite = findings.find((f) => f.detector === 'anomaly_composite');
    expect(composite).toBeDefined();
    expect(composite!.value).toBeGreaterThanOrEqual(0.5);
    expect(detectors(findings).filter((d) => d.endsWith('_spike'))).toEqual([]);
  });
});

describe('risk', () => {
  it('ranks a quiet agent that suddenly deviates above one that is always noisy, without an alert', () => {
    // 70 windows: one agent alternates 10 and 30 calls, the other makes 20 every
    // time and then 35 (z 3.4 against the Poisson floor: below the spike threshold).
    const noisy = run(
      Array.from({ length: 71 }, (_, w) => steady(w, 1, w % 2 === 0 ? 10 : 30)).flat(),
    );
    const quiet = run([...steady(0, 70, 20), ...steady(70, 1, 35), ev(71, 30_000)]);
    expect(quiet.findings).toEqual([]);
    expect(quiet.profile.surpriseScore).toBeGreaterThan(0.1);
    expect(noisy.profile.surpriseScore).toBeLessThan(quiet.profile.surpriseScore / 2);
    expect(quiet.profile.risk).toBeGreaterThanOrEqual(quiet.profile.surpriseScore);
  });

  it('gives no surprise score while the baseline or the scorer is cold', () => {
    const { profile } = run([...steady(0, 10, 20), ...steady(10, 1, 35), ev(11, 30_000)]);
    expect(profile.surpriseScore).toBe(0);
  });
});

describe('settings', () => {
  it('names every bad setting', () => {
    const problems = profileSettingsProblems({
      ...DEFAULT_PROFILE_SETTINGS,
      windowMs: 5000,
      weights: { ...DEFAULT_PROFILE_SETTINGS.weights, calls: 1.5 },
    });
    expect(problems.join('\n')).toMatch(/windowMs must be an integer in \[10000/);
    expect(problems.join('\n')).toMatch(/weights\.calls must be in \[0, 1\], got 1\.5/);
  });

  it('applies tenant overrides and refuses what cannot be overridden', () => {
    const s = applyOverrides(DEFAULT_PROFILE_SETTINGS, { sigma: 6, weights: { calls: 0.5 } });
    expect(s.sigma).toBe(6);
    expect(s.weights.calls).toBe(0.5);
    expect(s.weights.deny_rate).toBe(1);
    expect(() => applyOverrides(DEFAULT_PROFILE_SETTINGS, { windowMs: 1 } as never)).toThrow(
      /windowMs cannot be overridden/,
    );
    expect(() => applyOverrides(DEFAULT_PROFILE_SETTINGS, { weights: { calls: -1 } })).toThrow(
      /weights\.calls/,
    );
  });
});

describe('state', () => {
  it('round-trips through its checkpoint form exactly', () => {
    const { profile } = run([
      ...steady(0, 4, 13, { bytesOut: 17, resource: 'r' }),
      ev(4, 10, { sessionId: 'x', outcome: 'denied', parameters: { a: 'AKIAIOSF' } }),
    ]);
    const copy = deserializeProfile(serializeProfile(profile));
    expect(copy).toEqual(profile);
    const next = [ev(4, 20_000), ev(5, 0)];
    const a = run(next, settings, profile);
    const b = run(next, settings, copy);
    expect(serializeProfile(a.profile)).toBe(serializeProfile(b.profile));
  });

  it('reads a checkpoint written before the surprise score existed', () => {
    const { profile } = run(steady(0, 4, 10));
    const old = JSON.parse(serializeProfile(profile)) as Record<string, unknown>;
    delete old.su;
    delete old.ss;
    const copy = deserializeProfile(JSON.stringify(old));
    expect(copy.surprise).toEqual(new Float64Array(profile.surprise.length));
    expect(copy.surpriseScore).toBe(0);
    expect(copy.baselines).toEqual(profile.baselines);
  });

  it('counts small distinct sets exactly', () => {
    const words = new Uint32Array(8);
    for (let i = 0; i < 20; i++) {
      distinctAdd(words, 0, hash32(`tool-${i}`));
    }
    expect(distinctEstimate(words, 0)).toBeGreaterThanOrEqual(19);
    expect(distinctEstimate(words, 0)).toBeLessThanOrEqual(21);
  });

  it('maps scores to tiers', () => {
    expect([0.3, 0.5, 0.7, 0.9].map(tierForScore)).toEqual([1, 2, 3, 4]);
  });
});

describe('policy violations', () => {
  const violation = (effect: 'deny' | 'escalate') => ({
    policyViolations: [{ policyId: 'a'.repeat(32), kind: 'tool_deny', effect }],
  });

  it('alerts once per window on a violating call, even before the baseline is warm, and demotes', () => {
    const { findings, tiers } = run([
      ev(0, 10, { action: 'shell.exec', ...violation('deny') }),
      ev(0, 20, { action: 'shell.exec', ...violation('deny') }),
      ev(1, 10, { action: 'search', ...violation('escalate') }),
    ]);
    const found = findings.filter((f) => f.detector === 'policy_violation');
    expect(found.map((f) => [f.windowStart, f.score])).toEqual([
      [T0, 0.75],
      [T0 + W, 0.55],
    ]);
    expect(found[0]!.description).toContain('violates active policy');
    expect(tiers.map((t) => t.to)).toEqual([tierForScore(0.75)]);
  });

  it('stays silent on calls no policy objects to', () => {
    const { findings } = run([ev(0, 10, { action: 'shell.exec' })]);
    expect(detectors(findings)).not.toContain('policy_violation');
  });
});

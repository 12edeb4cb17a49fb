import {
  FIXTURE_CHECKPOINT,
  FIXTURE_CHECKPOINT_AFTER,
  FIXTURE_FINAL,
  FIXTURE_FINDINGS_AFTER,
  fixtureEvents,
} from './checkpoint-v1.fixture';
import { type ProfileEvent, ProfileEngine } from './engine';
import { getF64, idWords, readId, setF64, UNPACKED_ID, writeId } from './packed';
import { DEFAULT_PROFILE_SETTINGS, type ProfileSettings } from './settings';
import {
  type AgentProfile,
  copyProfile,
  deserializeProfile,
  newProfile,
  packProfile,
  type ProfileSnapshot,
  serializeProfile,
  snapshotProfile,
} from './state';

const W = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const settings: ProfileSettings = DEFAULT_PROFILE_SETTINGS;

let seq = 0;
function ev(window: number, offsetMs: number, over: Partial<ProfileEvent> = {}): ProfileEvent {
  seq += 1;
  return {
    eventId: `p${seq}`,
    timestampMs: T0 + window * W + offsetMs,
    action: 'search',
    outcome: 'ok',
    parameterEntropy: 3,
    sessionId: 's1',
    ...over,
  };
}

function feed(profile: AgentProfile, events: readonly ProfileEvent[], s = settings) {
  const engine = new ProfileEngine();
  return events.flatMap((e) => engine.observe(profile, e, s).findings);
}

/** A profile with every part in use: two windows, rings, drift, surprise, strings. */
function busyProfile(): AgentProfile {
  const profile = deserializeProfile(FIXTURE_CHECKPOINT);
  feed(profile, fixtureEvents().slice(FIXTURE_CHECKPOINT_AFTER, FIXTURE_CHECKPOINT_AFTER + 3));
  return profile;
}

describe('packed words', () => {
  it('keeps doubles bit for bit, boundary values included', () => {
    const sut = new Uint32Array(4);
    const values = [
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      -Number.MAX_SAFE_INTEGER,
      2 ** 53 + 2,
      0.1 + 0.2,
      1767225600000,
    ];
    for (const value of values) {
      setF64(sut, 1, value);
      expect(Object.is(getF64(sut, 1), value)).toBe(true);
    }
    expect(sut[0]).toBe(0);
    expect(sut[3]).toBe(0);
  });

  it('packs ids of every length up to 254 Latin-1 characters and reads them back', () => {
    for (let length = 0; length <= 254; length++) {
      const id = Array.from({ length }, (_, i) =>
        String.fromCharCode((i * 37 + length) % 256),
      ).join('');
      const width = idWords(length);
      const sut = new Uint32Array(width + 2).fill(0xffffffff);
      expect(writeId(sut, 1, width, id)).toBe(true);
      expect(readId(sut, 1)).toBe(id);
      expect([sut[0], sut[width + 1]]).toEqual([0xffffffff, 0xffffffff]);
    }
  });

  it('leaves no trace of a longer id it overwrites', () => {
    const sut = new Uint32Array(8);
    writeId(sut, 0, 8, 'a-much-longer-event-id');
    const alone = new Uint32Array(8);
    writeId(alone, 0, 8, 'short');
    writeId(sut, 0, 8, 'short');
    expect(sut).toEqual(alone);
  });

  it('refuses characters above U+00FF and marks the entry unpacked', () => {
    const sut = new Uint32Array(4).fill(7);
    expect(writeId(sut, 0, 4, 'ab\u4e2dc')).toBe(false);
    expect(sut).toEqual(new Uint32Array([UNPACKED_ID, 0, 0, 0]));
    expect(readId(sut, 0)).toBeUndefined();
  });
});

describe('AgentProfile', () => {
  it('holds a new profile in one array of 1,480 bytes and no strings', () => {
    const sut = newProfile();
    expect(sut.words.byteLength).toBe(1480);
    expect(sut.extras).toBeNull();
    expect(snapshotProfile(sut)).toEqual(
      expect.objectContaining({ windows: [], maxTs: Number.NEGATIVE_INFINITY, behaviorTier: 1 }),
    );
  });

  it('packs its unpacked form back to the same words', () => {
    const profile = busyProfile();
    const snapshot = snapshotProfile(profile);
    const sut = packProfile(snapshot);
    expect(snapshotProfile(sut)).toEqual(snapshot);
    expect(sut).toEqual(profile);
    expect(sut.words.byteLength).toBeGreaterThan(newProfile().words.byteLength);
  });

  it('saturates a tool histogram bucket at 0xffff, as the Uint16Array did', () => {
    const profile = newProfile();
    feed(
      profile,
      Array.from({ length: 0x10005 }, (_, i) =>
        ev(0, Math.floor(i / 100), { eventId: 'same', sessionId: 's' }),
      ),
    );
    const [window] = profile.windows;
    expect(window!.calls).toBe(0x10005);
    expect(Math.max(...window!.toolHist)).toBe(0xffff);
    const restored = deserializeProfile(serializeProfile(profile));
    feed(restored, [ev(0, 59_000, { eventId: 'same', sessionId: 's' })]);
    expect(Math.max(...restored.windows[0]!.toolHist)).toBe(0xffff);
    expect(restored.windows[0]!.calls).toBe(0x10006);
  });

  it('keeps counters past 32 bits and int32 detector bits exactly', () => {
    const snapshot = snapshotProfile(busyProfile());
    const window = snapshot.windows.at(-1)!;
    window.calls = 2 ** 40 + 1;
    window.fired = -2147483648 | 5;
    window.levels = -1;
    snapshot.lateEvents = Number.MAX_SAFE_INTEGER - 1;
    const sut = packProfile(snapshot);
    expect(snapshotProfile(sut)).toEqual(snapshot);
    feed(sut, [ev(0, 0), ev(8, 30_000, { eventId: 'x' })]);
    expect(sut.lateEvents).toBe(Number.MAX_SAFE_INTEGER);
    expect(sut.windows.at(-1)!.calls).toBe(2 ** 40 + 2);
  });

  it('refuses unpacked state it cannot hold exactly', () => {
    const good = () => snapshotProfile(busyProfile());
    const cases: ((s: ProfileSnapshot) => void)[] = [
      (s) => (s.sessionCursor = 2 ** 32),
      (s) => (s.sessions[2] = 0.7),
      (s) => (s.denials[0] = -1),
      (s) => (s.seen = new Uint32Array(31)),
      (s) => (s.windows[0]!.findings = 1.5),
    ];
    for (const spoil of cases) {
      const snapshot = good();
      spoil(snapshot);
      expect(() => packProfile(snapshot)).toThrow(RangeError);
    }
  });

  it('keeps the sample ring of the old array when the sample size changes', () => {
    const profile = newProfile();
    const samples: string[] = [];
    let cursor = 0;
    const sizes = [5, 2, 7, 3, 20, 1];
    for (let i = 0; i < 60; i++) {
      const sampleSize = sizes[Math.floor(i / 10)]!;
      const id = i % 9 === 0 ? `long-${'y'.repeat(30)}-${i}` : `id${i}`;
      feed(profile, [ev(0, i * 100, { eventId: id })], { ...settings, sampleSize });
      if (samples.length < sampleSize) {
        samples.push(id);
      } else {
        samples[cursor] = id;
        cursor = (cursor + 1) % sampleSize;
      }
      expect(profile.windows[0]).toEqual(
        expect.objectContaining({ samples, sampleCursor: cursor }),
      );
    }
  });

  it('keeps ids it cannot pack as strings, and drops them with their window', () => {
    const profile = newProfile();
    const odd = ['\u4e2d-1', 'z'.repeat(300), '\u00e9-latin1'];
    feed(profile, [...odd.map((eventId) => ev(0, 1000, { eventId })), ev(0, 2000)]);
    expect(profile.windows[0]!.samples).toEqual([...odd, `p${seq}`]);
    expect(profile.extras?.ids.size).toBe(2);
    expect(deserializeProfile(serializeProfile(profile))).toEqual(profile);
    feed(profile, [ev(2, 0)]);
    expect(profile.extras).toBeNull();
  });

  it('opens more than two windows when the allowed lateness exceeds a window', () => {
    const s = { ...settings, allowedLatenessMs: 3 * W };
    const profile = newProfile();
    feed(profile, [ev(0, 0), ev(1, 0), ev(2, 0), ev(3, 0), ev(1, 30_000)], s);
    expect(profile.windows.map((w) => [w.start - T0, w.calls])).toEqual([
      [0, 1],
      [W, 2],
      [2 * W, 1],
      [3 * W, 1],
    ]);
    expect(deserializeProfile(serializeProfile(profile))).toEqual(profile);
  });

  it('gives back the parts a reset forgets', () => {
    const sut = busyProfile();
    new ProfileEngine().reset(sut, 9);
    expect(sut.resetSeq).toBe(9);
    expect(sut.surprise).toEqual(new Float64Array(sut.surprise.length));
    expect(sut.denials).toEqual(new Float64Array(sut.denials.length));
    expect(sut.drift).toEqual([[], [], []]);
    expect(deserializeProfile(serializeProfile(sut))).toEqual(sut);
  });
});

describe('copyProfile', () => {
  it('serializes as the original did when taken, whatever the original does next', () => {
    // The fixture's storyline up to the first event that leaves strings in extras.
    const events = fixtureEvents();
    const original = newProfile();
    let at = 0;
    while (at < events.length && (original.extras?.secrets.length ?? 0) === 0) {
      feed(original, [events[at++]!]);
    }
    expect(original.extras?.secrets.length).toBeGreaterThan(0);
    const text = serializeProfile(original);
    const copy = copyProfile(original);
    expect(serializeProfile(copy)).toBe(text);
    // The original moves on (more windows, secrets, fragments, a reset): the copy does not.
    feed(original, events.slice(at));
    new ProfileEngine().reset(original, 3);
    expect(serializeProfile(original)).not.toBe(text);
    expect(serializeProfile(copy)).toBe(text);
    expect(copy.words.buffer).not.toBe(original.words.buffer);
  });
});

describe('checkpoints written before profiles were packed', () => {
  it('restores one and writes it back byte for byte', () => {
    const sut = deserializeProfile(FIXTURE_CHECKPOINT);
    expect(serializeProfile(sut)).toBe(FIXTURE_CHECKPOINT);
  });

  it('carries on from it exactly as the old profile did', () => {
    const sut = deserializeProfile(FIXTURE_CHECKPOINT);
    const findings = feed(sut, fixtureEvents().slice(FIXTURE_CHECKPOINT_AFTER));
    expect(
      findings.map((f) => [
        f.detector,
        f.metric,
        f.windowStart,
        f.value,
        f.sampleEventIds.join(' '),
      ]),
    ).toEqual(FIXTURE_FINDINGS_AFTER);
    expect(serializeProfile(sut)).toBe(FIXTURE_FINAL);
  });

  it('is what a packed profile writes from the same events', () => {
    const sut = newProfile();
    const events = fixtureEvents();
    feed(sut, events.slice(0, FIXTURE_CHECKPOINT_AFTER));
    expect(serializeProfile(sut)).toBe(FIXTURE_CHECKPOINT);
    feed(sut, events.slice(FIXTURE_CHECKPOINT_AFTER));
    expect(serializeProfile(sut)).toBe(FIXTURE_FINAL);
  });
});

import { shannonEntropy } from './entropy';
import { deterministicId } from './ids';
import { riskScore, severityForScore, zToScore } from './scoring';
import { DETECTOR_TECHNIQUES, DETECTORS } from './techniques';

describe('shannonEntropy', () => {
  it('is 0 for empty and uniform strings and log2(n) for n distinct symbols', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBeCloseTo(2, 10);
    expect(shannonEntropy('ab')).toBeCloseTo(1, 10);
  });
});

describe('deterministicId', () => {
  it('is stable, 32 hex chars, and sensitive to every part and to part boundaries', () => {
    const id = deterministicId('t', 'a', 'call_rate_spike', 1);
    expect(id).toMatch(/^[a-f0-9]{32}$/);
    expect(deterministicId('t', 'a', 'call_rate_spike', 1)).toBe(id);
    expect(deterministicId('t', 'a', 'call_rate_spike', 2)).not.toBe(id);
    expect(deterministicId('ta', 'b')).not.toBe(deterministicId('t', 'ab'));
  });
});

describe('scoring', () => {
  it('maps the threshold to 0.5 and three thresholds to 1', () => {
    expect(zToScore(4, 4)).toBe(0.5);
    expect(zToScore(12, 4)).toBe(1);
    expect(zToScore(40, 4)).toBe(1);
    expect(zToScore(2, 4)).toBe(0.25);
  });

  it('grades severity and risk', () => {
    expect(severityForScore(0.95)).toBe('critical');
    expect(severityForScore(0.75)).toBe('high');
    expect(severityForScore(0.5)).toBe('medium');
    expect(severityForScore(0.2)).toBe('low');
    expect(riskScore(0.456)).toBe(46);
    expect(riskScore(2)).toBe(100);
  });
});

describe('technique table', () => {
  it('maps every detector to at least one ATT&CK or ATLAS technique', () => {
    for (const detector of DETECTORS) {
      expect(DETECTOR_TECHNIQUES[detector].length).toBeGreaterThan(0);
    }
  });
});

describe('shannonEntropy against the plain count', () => {
  // The definition, counted with a Map in first-appearance order.
  function reference(text: string): number {
    const counts = new Map<number, number>();
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
    let entropy = 0;
    for (const count of counts.values()) {
      const p = count / text.length;
      entropy -= p * Math.log2(p);
    }
    return entropy;
  }

  it('gives the same value to the last bit, for Latin-1, wider characters and both mixed, call after call', () => {
    const samples = [
      '{"query":"how do I rotate keys 42"}',
      'aGVsbG8gd29ybGQ=/+Zm9vYmFy',
      'ключ доступа: 秘密 🔑 token=abc123',
      'x'.repeat(300) + 'ÿ\u0100\uffff',
      '\u0000\u00ff\u0100',
    ];
    for (const text of [...samples, ...samples]) {
      expect(Object.is(shannonEntropy(text), reference(text))).toBe(true);
    }
  });
});

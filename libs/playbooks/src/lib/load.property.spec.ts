import fc from 'fast-check';
import { stringify } from 'yaml';
import { durationMs, parsePlaybook } from './load';
import { BUILTIN_ACTIONS } from './trigger';

/**
 * Properties of the playbook parser, the part of the response engine an
 * operator's file (or an attacker's, through a writable playbook folder)
 * reaches first: any text gives a playbook or problems that name a line and
 * column, never an exception; every well-formed playbook is accepted exactly
 * as written.
 */
const ACTIONS = new Set<string>(BUILTIN_ACTIONS);
const id = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/);
const duration = fc
  .tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('ms', 's', 'm', 'h'))
  .map(([n, unit]) => `${n}${unit}`);
const text = fc.string({ maxLength: 60 }).filter((s) => !s.includes('${'));

const step = fc.record(
  {
    id,
    action: fc.constantFrom(...BUILTIN_ACTIONS),
    name: text,
    with: fc.dictionary(fc.stringMatching(/^[a-z][a-z_]{0,10}$/), fc.oneof(text, fc.integer())),
    when: fc.constantFrom(
      'incident.severity >= "high"',
      '"prompt_injection" in incident.detectors',
      'incident.alertCount > 1 and not (incident.status == "resolved")',
    ),
    timeout: duration,
    retries: fc.record(
      { attempts: fc.integer({ min: 1, max: 20 }), backoff: duration },
      { requiredKeys: ['attempts'] },
    ),
    continueOnError: fc.boolean(),
    approval: fc.record({
      required: fc.boolean(),
      timeout: duration,
      onTimeout: fc.constantFrom('reject', 'approve', 'skip'),
    }),
  },
  { requiredKeys: ['id', 'action'] },
);

const playbook = fc.record(
  {
    id,
    version: fc.integer({ min: 1, max: 1000 }),
    name: fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim() !== ''),
    description: text,
    priority: fc.integer({ min: 0, max: 1000 }),
    trigger: fc.record(
      {
        severityAtLeast: fc.constantFrom('low', 'medium', 'high', 'critical'),
        detectors: fc.array(fc.stringMatching(/^[a-z_]{1,20}$/), { minLength: 1, maxLength: 4 }),
        tenants: fc.array(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
    steps: fc.uniqueArray(step, { minLength: 1, maxLength: 6, selector: (s) => s.id }),
  },
  { requiredKeys: ['id', 'version', 'name', 'trigger', 'steps'] },
);

describe('parsePlaybook properties', () => {
  it('never throws: any text is a playbook or problems at a real line and column', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.jsonValue().map((v) => stringify(v)),
        ),
        (source) => {
          const result = parsePlaybook(source, 'fuzz.yaml', ACTIONS);
          if (!result.ok) {
            expect(result.problems.length).toBeGreaterThan(0);
            const lines = source.split('\n').length;
            for (const p of result.problems) {
              expect(p.file).toBe('fuzz.yaml');
              expect(p.line).toBeGreaterThanOrEqual(1);
              expect(p.line).toBeLessThanOrEqual(lines + 1);
              expect(p.column).toBeGreaterThanOrEqual(1);
              expect(p.message.length).toBeGreaterThan(0);
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('accepts every well-formed playbook exactly as written, in YAML or JSON', () => {
    fc.assert(
      fc.property(playbook, fc.boolean(), (written, asJson) => {
        const source = asJson ? JSON.stringify(written, null, 1) : stringify(written);
        const result = parsePlaybook(source, 'gen.yaml', ACTIONS);
        expect(result).toEqual({ ok: true, playbook: written });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a step with an unknown action, or a duplicate step id, naming the step', () => {
    fc.assert(
      fc.property(playbook, fc.stringMatching(/^x[a-z]{1,10}$/), (written, bogus) => {
        const unknownAction = {
          ...written,
          steps: [...written.steps, { id: 'zz-extra', action: `${bogus}.act` }],
        };
        const bad = parsePlaybook(stringify(unknownAction), 'bad.yaml', ACTIONS);
        expect(bad.ok).toBe(false);
        expect(JSON.stringify(bad)).toContain(`/steps/${written.steps.length}`);
        const duplicate = { ...written, steps: [...written.steps, written.steps[0]!] };
        expect(parsePlaybook(stringify(duplicate), 'dup.yaml', ACTIONS).ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('reads every duration it accepts as the right number of milliseconds', () => {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.constantFrom(...(Object.keys(unit) as (keyof typeof unit)[])),
        (n, u) => {
          expect(durationMs(`${n}${u}`)).toBe(n * unit[u]);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\d+(ms|s|m|h|d)$/.test(s)),
        (s) => {
          expect(() => durationMs(s)).toThrow(/not a duration/);
        },
      ),
    );
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SCENARIO_DIR, demoScenarioFiles, demoScenarios } from './demo-scenarios';

interface Expectation {
  title: string;
  storyline: string;
  alerts: Record<string, string[]>;
  incident: { severity: string; agents: string[] } | null;
  playbooks: string[];
  approval: { playbook: string; step: string } | null;
  policy: { kind: string; subject: string } | null;
  enforcement: { probe: { agentId: string }; alerts: string[] } | null;
}

const expectation = (name: string) =>
  JSON.parse(readFileSync(join(DEMO_SCENARIO_DIR, `${name}.expected.json`), 'utf8')) as Expectation;

describe('demo scenarios', () => {
  it('are committed exactly as generated (run `npm run demo:scenario-files` after a change)', () => {
    for (const [file, text] of demoScenarioFiles()) {
      expect({ file, text: readFileSync(join(DEMO_SCENARIO_DIR, file), 'utf8') }).toEqual({
        file,
        text,
      });
    }
  });

  it('cover the six storylines of `ward demo`', () => {
    expect(demoScenarios().map((s) => s.name)).toEqual([
      'runaway',
      'credential-probing',
      'injection-exfiltration',
      'slow-drift',
      'session-cycling',
      'lateral-movement',
    ]);
  });

  it('each have an expectation naming every agent, with the storyline of the generator', () => {
    for (const s of demoScenarios()) {
      expect(existsSync(join(DEMO_SCENARIO_DIR, `${s.name}.expected.json`))).toBe(true);
      const e = expectation(s.name);
      expect({ title: e.title, storyline: e.storyline }).toEqual({
        title: s.title,
        storyline: s.storyline,
      });
      const agents = [...new Set(s.events.map((x) => x.agentId))].sort();
      expect(Object.keys(e.alerts).sort()).toEqual(agents);
      for (const agent of e.incident?.agents ?? []) {
        expect(agents).toContain(agent);
      }
      if (e.approval !== null) {
        expect(e.playbooks).toContain(e.approval.playbook);
      }
      if (e.enforcement !== null) {
        expect(e.policy).not.toBeNull();
        expect(agents).toContain(e.enforcement.probe.agentId);
      }
    }
  });

  it('end in the past, in event-time order, with unique event ids and agents of their own', () => {
    const owner = new Map<string, string>();
    const ids = new Set<string>();
    for (const s of demoScenarios()) {
      const times = s.events.map((e) => Date.parse(String(e.timestamp)));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(Math.max(...times)).toBeLessThan(Date.now());
      for (const e of s.events) {
        expect(ids.has(String(e.eventId))).toBe(false);
        ids.add(String(e.eventId));
        expect(owner.get(e.agentId) ?? s.name).toBe(s.name);
        owner.set(e.agentId, s.name);
        expect(e.tenantId).toBeUndefined();
      }
    }
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DETECTOR_SCENARIO_DIR,
  detectorScenarioFiles,
  detectorScenarios,
} from './detector-scenarios';

describe('detector scenarios', () => {
  it('are committed exactly as generated (run `npm run demo:detector-files` after a change)', () => {
    for (const [file, text] of detectorScenarioFiles()) {
      expect({ file, text: readFileSync(join(DETECTOR_SCENARIO_DIR, file), 'utf8') }).toEqual({
        file,
        text,
      });
    }
  });

  it('each have a hand-written expectation for every agent they contain', () => {
    for (const s of detectorScenarios()) {
      const path = join(DETECTOR_SCENARIO_DIR, `${s.name}.expected.json`);
      expect(existsSync(path)).toBe(true);
      const expected = JSON.parse(readFileSync(path, 'utf8')) as { agents: object };
      const agents = [...new Set(s.events.map((e) => e.agentId))].sort();
      expect(Object.keys(expected.agents).sort()).toEqual(agents);
    }
  });

  it('keep agents apart across scenarios and event ids unique', () => {
    const all = detectorScenarios().flatMap((s) => s.events);
    expect(new Set(all.map((e) => e.eventId)).size).toBe(all.length);
    const owner = new Map<string, string>();
    for (const s of detectorScenarios()) {
      for (const e of s.events) {
        expect(owner.get(e.agentId) ?? s.name).toBe(s.name);
        owner.set(e.agentId, s.name);
      }
    }
  });
});

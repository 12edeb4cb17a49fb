/**
 * `npm run demo:scenario-files`: writes `deploy/demo/scenarios/<name>.jsonl`
 * and the folder's README from tools/src/demo-scenarios.ts. The
 * `<name>.expected.json` files beside them are written by hand and only read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SCENARIO_DIR, demoScenarioFiles } from './demo-scenarios';

mkdirSync(DEMO_SCENARIO_DIR, { recursive: true });
for (const [file, text] of demoScenarioFiles()) {
  writeFileSync(join(DEMO_SCENARIO_DIR, file), text);
  console.log(`wrote deploy/demo/scenarios/${file}`);
}

/**
 * `npm run demo:detector-files`: writes `deploy/demo/detectors/<name>.jsonl`
 * and the folder's README from tools/src/detector-scenarios.ts. The
 * `<name>.expected.json` files beside them are written by hand and only read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DETECTOR_SCENARIO_DIR, detectorScenarioFiles } from './detector-scenarios';

mkdirSync(DETECTOR_SCENARIO_DIR, { recursive: true });
for (const [file, text] of detectorScenarioFiles()) {
  writeFileSync(join(DETECTOR_SCENARIO_DIR, file), text);
  console.log(`wrote deploy/demo/detectors/${file}`);
}

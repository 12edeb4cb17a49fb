import { type MitreTechnique } from '@ward/contracts';

export const DETECTORS = ['call_rate_spike', 'sensitive_data', 'prompt_injection'] as const;
export type DetectorId = (typeof DETECTORS)[number];

/** The one table of MITRE ATT&CK and ATLAS techniques per detector. */
export const DETECTOR_TECHNIQUES: Readonly<Record<DetectorId, readonly MitreTechnique[]>> = {
  call_rate_spike: [
    { framework: 'ATLAS', id: 'AML.T0034', name: 'Cost Harvesting' },
    { framework: 'ATT&CK', id: 'T1496', name: 'Resource Hijacking' },
  ],
  sensitive_data: [
    { framework: 'ATT&CK', id: 'T1552', name: 'Unsecured Credentials' },
    { framework: 'ATLAS', id: 'AML.T0057', name: 'LLM Data Leakage' },
  ],
  prompt_injection: [
    { framework: 'ATLAS', id: 'AML.T0051.001', name: 'LLM Prompt Injection: Indirect' },
  ],
};

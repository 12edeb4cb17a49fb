import { type MitreTechnique } from '@ward/contracts';

export const DETECTORS = ['call_rate_spike'] as const;
export type DetectorId = (typeof DETECTORS)[number];

/** The one table of MITRE ATT&CK and ATLAS techniques per detector. */
export const DETECTOR_TECHNIQUES: Readonly<Record<DetectorId, readonly MitreTechnique[]>> = {
  call_rate_spike: [
    { framework: 'ATLAS', id: 'AML.T0034', name: 'Cost Harvesting' },
    { framework: 'ATT&CK', id: 'T1496', name: 'Resource Hijacking' },
  ],
};

import { type MitreTechnique } from '@ward/contracts';

export const DETECTORS = [
  'call_rate_spike',
  'deny_rate_spike',
  'error_rate_spike',
  'tool_diversity_spike',
  'resource_diversity_spike',
  'entropy_spike',
  'bytes_out_spike',
  'session_spike',
  'anomaly_composite',
  'new_tool',
  'new_resource',
  'behavior_drift',
  'tool_mix_divergence',
  'session_cycling',
  'behavior_reversal',
  'secret_split',
  'secret_recurrence',
  'sensitive_data',
  'prompt_injection',
  'policy_violation',
] as const;
export type DetectorId = (typeof DETECTORS)[number];

const atlas = (id: string, name: string): MitreTechnique => ({ framework: 'ATLAS', id, name });
const attack = (id: string, name: string): MitreTechnique => ({ framework: 'ATT&CK', id, name });

/** The one table of MITRE ATT&CK and ATLAS techniques per detector. */
export const DETECTOR_TECHNIQUES: Readonly<Record<DetectorId, readonly MitreTechnique[]>> = {
  call_rate_spike: [atlas('AML.T0034', 'Cost Harvesting'), attack('T1496', 'Resource Hijacking')],
  deny_rate_spike: [attack('T1110', 'Brute Force'), attack('T1069', 'Permission Groups Discovery')],
  error_rate_spike: [attack('T1499', 'Endpoint Denial of Service')],
  tool_diversity_spike: [
    atlas('AML.T0053', 'LLM Plugin Compromise'),
    attack('T1518', 'Software Discovery'),
  ],
  resource_diversity_spike: [
    attack('T1083', 'File and Directory Discovery'),
    attack('T1119', 'Automated Collection'),
  ],
  entropy_spike: [attack('T1027', 'Obfuscated Files or Information')],
  bytes_out_spike: [
    attack('T1030', 'Data Transfer Size Limits'),
    atlas('AML.T0025', 'Exfiltration via Cyber Means'),
  ],
  session_spike: [attack('T1550', 'Use Alternate Authentication Material')],
  anomaly_composite: [atlas('AML.T0048', 'External Harms')],
  new_tool: [atlas('AML.T0053', 'LLM Plugin Compromise')],
  new_resource: [
    attack('T1041', 'Exfiltration Over C2 Channel'),
    attack('T1083', 'File and Directory Discovery'),
  ],
  behavior_drift: [
    atlas('AML.T0051', 'LLM Prompt Injection'),
    atlas('AML.T0018', 'Manipulate AI Model'),
  ],
  tool_mix_divergence: [atlas('AML.T0053', 'LLM Plugin Compromise')],
  session_cycling: [
    atlas('AML.T0054', 'LLM Jailbreak'),
    attack('T1550', 'Use Alternate Authentication Material'),
  ],
  behavior_reversal: [
    atlas('AML.T0054', 'LLM Jailbreak'),
    attack('T1548', 'Abuse Elevation Control Mechanism'),
  ],
  secret_split: [
    attack('T1552', 'Unsecured Credentials'),
    attack('T1030', 'Data Transfer Size Limits'),
    atlas('AML.T0057', 'LLM Data Leakage'),
  ],
  secret_recurrence: [
    attack('T1552', 'Unsecured Credentials'),
    atlas('AML.T0057', 'LLM Data Leakage'),
  ],
  sensitive_data: [
    attack('T1552', 'Unsecured Credentials'),
    atlas('AML.T0057', 'LLM Data Leakage'),
  ],
  prompt_injection: [atlas('AML.T0051.001', 'LLM Prompt Injection: Indirect')],
  // An action an active policy forbids: the agent reaching past what it is allowed.
  policy_violation: [attack('T1548', 'Abuse Elevation Control Mechanism')],
};

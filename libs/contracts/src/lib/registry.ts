import { BehavioralEventContract, RawTelemetryEventContract } from './behavioral-event';
import { AgentControlContract } from './agent-control';
import { DeadLetterContract } from './dead-letter';
import { IncidentContract } from './incident';
import { PlaybookContract } from './playbook';
import { PolicyContract } from './policy';
import { ResponseActionContract } from './response-action';
import { ThreatAlertContract } from './threat-alert';

/** Every published contract, in the order the JSON Schema export writes them. */
export const ALL_CONTRACTS = [
  BehavioralEventContract,
  RawTelemetryEventContract,
  ThreatAlertContract,
  AgentControlContract,
  IncidentContract,
  ResponseActionContract,
  DeadLetterContract,
  PlaybookContract,
  PolicyContract,
] as const;

export * from './settings';
export * from './sketches';
export {
  AgentProfile,
  copyProfile,
  deserializeProfile,
  DISTINCT_RESOURCES,
  DISTINCT_SESSIONS,
  DISTINCT_TOOLS,
  DRIFT_METRICS,
  type Fragment,
  MAX_FRAGMENT_CHARS,
  MAX_FRAGMENTS,
  MAX_SECRET_KINDS,
  newProfile,
  newWindow,
  packProfile,
  type ProfileExtras,
  type ProfileSnapshot,
  resetLearning,
  RING_SIZE,
  type SecretTrack,
  serializeProfile,
  snapshotProfile,
  TOOL_BUCKETS,
  type WindowSlot,
} from './state';
export * from './engine';

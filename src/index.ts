export { systemClock, ManualClock, SkewedClock, type Clock } from './clock.js';
export {
  openDatabase,
  connectionPragmas,
  AgentDatabase,
  type Durability,
  type OpenDatabaseOptions,
} from './sqlite/db.js';
export { loadMigrations, SCHEMA_LABELS, type Migration } from './migrations.js';
export {
  CheckpointManager,
  type Checkpoint,
  type PendingCheckpoint,
  type CheckpointManagerOptions,
} from './core/checkpoints.js';
export {
  EvidenceVerifier,
  evidence,
  sha256Hex,
  type CommandExitItem,
  type CommandExitOptions,
  type EvidenceItem,
  type EvidenceKind,
  type EvidencePack,
  type EvidenceItemResult,
  type VerificationResult,
} from './evidence.js';
export {
  LeaseManager,
  type Lease,
  type LeaseManagerOptions,
  type WorkItem,
  type WorkItemInput,
} from './core/leases.js';
export { RecoverySweep, RECOVERY_TASK_PREFIX, type RecoverySweepOptions, type SweepStats } from './core/recovery.js';
export { LLMOutputCache, type LLMRequest, type CacheStats, type LLMOutputCacheOptions } from './core/llm-cache.js';
export {
  ToolLedger,
  INHERITED_ENV,
  type ToolResult,
  type ToolRunOptions,
  type ToolLedgerStats,
  type ToolLedgerOptions,
} from './core/tool-ledger.js';
export {
  TaskRunner,
  type TaskStep,
  type TaskDefinition,
  type TaskStatus,
  type TaskRunResult,
  type StepContext,
  type TaskRunnerHooks,
  type TaskRunnerOptions,
  TASK_LEASE_PREFIX,
} from './core/task-runner.js';
export { idempotencyKey, type IdempotencyKeyParts } from './core/idempotency-key.js';
export { type Fence } from './core/fence.js';
export { Metrics, LatencyWindow, type MetricsSnapshot, type WindowSummary, type CounterName } from './metrics.js';
export { METRIC_NAMES } from './metrics-exposition.js';
export {
  formatPrometheusText,
  PROMETHEUS_CONTENT_TYPE,
  type PrometheusFamily,
  type PrometheusSample,
  type PrometheusType,
} from './prometheus-text.js';
export {
  nearestRank,
  nearestRankIndex,
  summarizeLatencies,
  PERCENTILE_METHOD,
  type LatencySummary,
  type Percentile,
} from './percentile.js';
export {
  ALERT_THRESHOLDS,
  ALERT_NAMES,
  alertThreshold,
  alertFires,
  formatThreshold,
  type AlertThreshold,
  type AlertName,
  type AlertDirection,
  type AlertSeverity,
  type AlertUnit,
} from './alerts.js';
export { prometheusAlertRules, type PrometheusRuleFile, type PrometheusAlertRule } from './prometheus-alerts.js';
export {
  AgentOSError,
  LeaseLostError,
  CheckpointVerificationError,
  InDoubtToolCallError,
  ToolCallInProgressError,
  ToolSpawnError,
  ToolResultNotRecordedError,
  NotFoundError,
  DatabaseOpenError,
  SchemaTooNewError,
  ForeignDatabaseError,
  DatabaseCorruptError,
  DiskFullError,
  DatabaseUnavailableError,
  TaskError,
  TaskBusyError,
  type LeasedOperation,
} from './errors.js';
export { InvalidArgumentError } from './validate.js';
export { serializeJson, canonicalJson, type Json } from './json-state.js';
export { CRASH_POINTS, CRASH_POINT_VARIABLE, crashPoint, type CrashPoint } from './crash-points.js';

import type { CheckSpec } from '../schema.js';
import type { Capability } from '../subject.js';
import type { Check, CheckContext, CheckOutcome } from './check.js';
import {
  acknowledgedCheckpointsPresent,
  integrityOk,
  lastCheckpointIsLatestAcknowledged,
  sequenceGapFree,
} from './checkpoints.js';
import { eventCount, eventField, fieldLessThan, latency, noWorkerErrors } from './events.js';
import { everyWorkerAcquired, noOverlappingLeases, noStaleEpochWrites, takeoverFenced, workItems } from './leases.js';
import { powerLossTail } from './power-loss.js';
import { timeToResume } from './recovery-time.js';
import { acquisitionFairness, commitLatency, commitThroughput, peakWorkerRss, tailRatio, wallTime } from './stress.js';
import { backupConsistent, effectsAtMostOnce, operationsDurable } from './operations.js';
import { committedStepsNotRerun, sideEffectsExactlyOnce, taskStatus } from './tasks.js';

type CheckName = CheckSpec['check'];

/** Every check kind's implementation; a kind without one is a compile error. */
export const checks: { [K in CheckName]: Check<Extract<CheckSpec, { check: K }>> } = {
  'acknowledged-checkpoints-present': acknowledgedCheckpointsPresent,
  'last-checkpoint-is-latest-acknowledged': lastCheckpointIsLatestAcknowledged,
  'integrity-ok': integrityOk,
  'sequence-gap-free': sequenceGapFree,
  'no-worker-errors': noWorkerErrors,
  'event-count': eventCount,
  'event-field': eventField,
  'field-less-than': fieldLessThan,
  latency,
  'takeover-fenced': takeoverFenced,
  'task-status': taskStatus,
  'committed-steps-not-rerun': committedStepsNotRerun,
  'side-effects-exactly-once': sideEffectsExactlyOnce,
  'work-items': workItems,
  'no-overlapping-leases': noOverlappingLeases,
  'no-stale-epoch-writes': noStaleEpochWrites,
  'operations-durable': operationsDurable,
  'effects-at-most-once': effectsAtMostOnce,
  'backup-consistent': backupConsistent,
  'every-worker-acquired': everyWorkerAcquired,
  'commit-throughput': commitThroughput,
  'commit-latency': commitLatency,
  'tail-ratio': tailRatio,
  'acquisition-fairness': acquisitionFairness,
  'wall-time': wallTime,
  'peak-worker-rss': peakWorkerRss,
  'time-to-resume': timeToResume,
  'power-loss-tail': powerLossTail,
};

/**
 * What each check needs of the subject (harness/subject.ts): null when it judges the history or the run folder alone. A
 * criterion whose check needs what the subject lacks is reported as not applicable to that subject.
 */
export const CHECK_NEEDS: Record<CheckName, Capability | null> = {
  'acknowledged-checkpoints-present': 'checkpoints',
  'operations-durable': 'checkpoints',
  'last-checkpoint-is-latest-acknowledged': 'sequence',
  'sequence-gap-free': 'sequence',
  'integrity-ok': 'integrity',
  'no-worker-errors': null,
  'event-count': null,
  'event-field': null,
  'field-less-than': null,
  latency: null,
  'takeover-fenced': null,
  'no-overlapping-leases': null,
  'every-worker-acquired': null,
  'commit-throughput': null,
  'commit-latency': null,
  'tail-ratio': null,
  'acquisition-fairness': null,
  'wall-time': null,
  'peak-worker-rss': null,
  'time-to-resume': null,
  'task-status': 'tasks',
  'committed-steps-not-rerun': 'tasks',
  // The effect files a workload wrote (a task runner's steps, a tool's commands): any subject running it can have them.
  'side-effects-exactly-once': null,
  'work-items': 'leases',
  'no-stale-epoch-writes': 'leases',
  'effects-at-most-once': 'tools',
  'backup-consistent': 'sqlite-file',
  'power-loss-tail': 'sqlite-file',
};

/** Runs one check; a check that throws is 'unknown', never a crash of the run. */
export function runCheck(spec: CheckSpec, context: CheckContext): CheckOutcome {
  try {
    return (checks[spec.check] as Check<CheckSpec>)(spec, context);
  } catch (error) {
    return {
      valid: 'unknown',
      measured: 'check threw',
      details: error instanceof Error ? error.message : String(error),
    };
  }
}

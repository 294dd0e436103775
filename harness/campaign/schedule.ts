import type { CrashPoint } from '../../src/crash-points.js';
import { seededRandom } from '../random.js';
import type { ScenarioInput } from '../schema.js';

/** The worker groups a campaign run may have, each with the crash points its code passes. */
export const CAMPAIGN_GROUPS = {
  writer: ['checkpoint.before-commit', 'checkpoint.after-commit'],
  tools: ['tool.after-start-row', 'tool.after-spawn', 'tool.before-result-row'],
  runner: ['task.after-step', 'checkpoint.before-commit', 'checkpoint.after-commit', 'lease.after-acquire'],
} as const satisfies Record<string, readonly CrashPoint[]>;

export type CampaignGroup = keyof typeof CAMPAIGN_GROUPS;

/** One fault of a run, in the campaign's own small vocabulary (turned into scenario faults by toScenario). */
export type ScheduledFault =
  /** kill -9 of a group's worker after its n-th unit of progress. */
  | { kind: 'kill'; target: CampaignGroup; after: number }
  /** A group's worker dies at a named crash point, the at-th time it passes it. */
  | { kind: 'crash-point'; target: CampaignGroup; point: CrashPoint; at: number }
  /** The task runner is frozen past its lease in its (n+1)-th step; a second runner takes the task over; the first wakes. */
  | { kind: 'stale-runner'; after: number }
  /** Another process holds the write lock for holdMs after the writers' n-th commit. */
  | { kind: 'lock'; after: number; holdMs: number }
  /** The disk fills after the writers' n-th commit and frees again after three refused commits. */
  | { kind: 'disk-full'; after: number }
  /** An online backup after the writers' n-th commit. */
  | { kind: 'backup'; after: number };

/** Everything that decides a campaign run: replaying it replays the run (the seed drives the runner's own choices). */
export interface Schedule {
  seed: number;
  /** Checkpoint writers (0 = none) and the commits each makes. */
  writers: number;
  commits: number;
  /** Tool calls (0 = no tool workers); a second worker then makes the same calls. */
  tools: number;
  /** Steps of the task run by the task runner (0 = no runner); a second runner resumes it. */
  steps: number;
  faults: ScheduledFault[];
}

export interface GenerateOptions {
  /** Whether the run folder may be put on its own file system (root on Linux): allows disk-full. */
  diskFull: boolean;
}

/**
 * Progress events a kill can follow, per group. A tool call's invoke: a batch's calls are invoked (their started rows
 * written, their commands spawned) at once, so a kill after one lands while the batch runs.
 */
const PROGRESS = { writer: 'checkpoint.committed', tools: 'op.invoke', runner: 'step.finished' } as const;

/**
 * Draws a run: a mix of workloads and one to three faults, at least one of which kills a worker (half of those at a
 * crash point). Every choice comes from the seed.
 */
export function generateSchedule(seed: number, options: GenerateOptions): Schedule {
  const random = seededRandom(seed);
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const schedule: Schedule = {
    seed,
    writers: int(0, 2),
    commits: int(20, 60),
    tools: random() < 0.5 ? int(8, 16) : 0,
    steps: random() < 0.5 ? int(4, 8) : 0,
    faults: [],
  };
  if (schedule.writers === 0 && schedule.tools === 0 && schedule.steps === 0) schedule.writers = 1;
  const groups = (['writer', 'tools', 'runner'] as const).filter((g) => size(schedule, g) > 0);
  const target = pick(groups);
  schedule.faults.push(
    // Slightly more than half at crash points: the campaign's kills are meant to be half there, and some never bite.
    random() < 0.55
      ? crashAt(target, pick(CAMPAIGN_GROUPS[target]), int(1, Math.max(1, Math.floor(size(schedule, target) / 2))))
      : { kind: 'kill', target, after: int(1, Math.max(1, Math.floor(size(schedule, target) / 2))) },
  );
  // Sometimes a second group dies too (never the task runner twice: its successor must be able to finish).
  const others = groups.filter((g) => g !== target && g !== 'runner');
  if (others.length > 0 && random() < 0.3) {
    const second = pick(others);
    schedule.faults.push(
      random() < 0.5
        ? crashAt(second, pick(CAMPAIGN_GROUPS[second]), 1)
        : { kind: 'kill', target: second, after: int(1, Math.max(1, Math.floor(size(schedule, second) / 2))) },
    );
  }
  // A frozen owner waking after a takeover is the fault fencing exists for: drawn often when a task runs.
  if (schedule.steps > 1 && !(first0(schedule)?.target === 'runner') && random() < 0.4)
    schedule.faults.push({ kind: 'stale-runner', after: int(1, schedule.steps - 1) });
  // Faults on the writers' progress land before the first kill of a writer, or they could never fire.
  // Every fault that kills the writers counts (the first, or the second group's).
  const writersLast = Math.min(
    schedule.writers * schedule.commits - 1,
    ...schedule.faults.map((f) =>
      f.kind === 'kill' && f.target === 'writer'
        ? f.after - 1
        : f.kind === 'crash-point' && f.target === 'writer'
          ? schedule.writers * (f.at - 1)
          : Infinity,
    ),
  );
  const extras = int(0, 2);
  for (let i = 0; i < extras; i++) {
    const options_ = [
      ...(schedule.steps > 0 &&
      !schedule.faults.some((f) => ('target' in f && f.target === 'runner') || f.kind === 'stale-runner')
        ? ['stale-runner']
        : []),
      ...(schedule.writers > 0 && writersLast >= 1 ? ['backup'] : []),
      // Only the writers retry a commit refused for lack of space; other workloads would fail on it.
      ...(options.diskFull && schedule.writers > 0 && writersLast >= 1 && schedule.tools === 0 && schedule.steps === 0
        ? ['disk-full']
        : []),
    ];
    if (options_.length === 0) break;
    const kind = pick(options_);
    const after = int(1, Math.max(1, Math.min(writersLast, Math.floor(schedule.commits / 2))));
    if (kind === 'stale-runner') schedule.faults.push({ kind, after: int(1, schedule.steps - 1) });
    // Early: the lock holder is a process of its own that takes ~150 ms to start, and the writers must still be writing.
    else if (kind === 'lock') schedule.faults.push({ kind, after: Math.min(after, 3), holdMs: int(50, 300) });
    // Not both: a backup taken while the disk is full fails, and proves nothing.
    else if (kind === 'disk-full' && !schedule.faults.some((f) => f.kind === 'disk-full' || f.kind === 'backup'))
      schedule.faults.push({ kind, after: Math.min(after, 3) });
    else if (kind === 'backup' && !schedule.faults.some((f) => f.kind === 'backup' || f.kind === 'disk-full'))
      schedule.faults.push({ kind, after });
  }
  return schedule;
}

/** A crash point at a pass the group reaches: a task runner acquires its lease once. */
function crashAt(target: CampaignGroup, point: CrashPoint, at: number): ScheduledFault {
  return { kind: 'crash-point', target, point, at: point === 'lease.after-acquire' ? 1 : at };
}

/** The schedule's first fault when it aims at a group (the kill every run has). */
function first0(s: Schedule): { target: CampaignGroup } | undefined {
  const f = s.faults[0];
  return f && 'target' in f ? f : undefined;
}

/** How much progress a group makes: its unit for kill and crash-point counts. */
function size(s: Schedule, group: CampaignGroup): number {
  return group === 'writer' ? s.writers * s.commits : group === 'tools' ? s.tools : s.steps;
}

/** One line describing a run, for progress and violations. */
export function describeSchedule(s: Schedule): string {
  const load = [
    s.writers > 0 ? `${s.writers}×${s.commits} commits` : '',
    s.tools > 0 ? `${s.tools} tool calls` : '',
    s.steps > 0 ? `${s.steps}-step task` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const faults = s.faults.map((f) =>
    f.kind === 'kill'
      ? `kill ${f.target} after ${f.after}`
      : f.kind === 'crash-point'
        ? `${f.target} dies at ${f.point}#${f.at}`
        : f.kind === 'lock'
          ? `lock ${f.holdMs} ms after ${f.after}`
          : `${f.kind} after ${f.after}`,
  );
  return `${load}; ${faults.join(', ') || 'no fault'}`;
}

/**
 * The run as a scenario declaration for the ordinary runner, with the invariant checkers that apply to its groups.
 * Every worker that can be killed has a successor that starts once it has exited, so work resumes.
 */
export function toScenario(s: Schedule, id = `campaign-${s.seed}`): ScenarioInput {
  const workers: ScenarioInput['workers'] = [];
  const faults: NonNullable<ScenarioInput['faults']> = [];
  const commands: NonNullable<ScenarioInput['commands']> = [];
  const criteria: ScenarioInput['criteria'] = [];
  const gate = (cid: string, description: string, check: ScenarioInput['criteria'][number]['check']): void => {
    criteria.push({ id: cid, description, seed: '—', ours: 'valid', check });
  };
  const stale = s.faults.find((f) => f.kind === 'stale-runner');

  if (s.writers > 0) {
    workers.push({
      name: 'writer',
      workload: 'checkpoint-writer',
      count: s.writers,
      params: { taskId: 'task-{worker}', count: s.commits, recordOps: true, intervalMs: 4 },
    });
    gate('acknowledged-durable', 'Acknowledged checkpoints durable, failed ones absent', {
      check: 'operations-durable',
    });
    gate('gap-free', 'Each writer task numbered 1..n', { check: 'sequence-gap-free', taskIdPrefix: 'task-writer' });
  }
  if (s.tools > 0) {
    const params = { commands: s.tools, passes: 1, concurrency: 4, sleepSeconds: 0, inDoubt: 'count', recordOps: true };
    workers.push({ name: 'tools', workload: 'tool-replay', params });
    workers.push({
      name: 'tools-again',
      workload: 'tool-replay',
      params,
      start: { after: { kind: 'worker.exited', worker: 'tools' } },
    });
    gate('effects-once', 'Tool side effects at most once; exactly once when a call returned ok', {
      check: 'effects-at-most-once',
      dir: 'effects',
    });
  }
  if (s.steps > 0) {
    const task = { taskId: 'campaign-task', steps: s.steps, workRounds: 5_000, leaseDurationMs: 2000 };
    // A runner to be frozen waits inside that step for the harness's go: frozen there, it holds no write lock (frozen
    // inside a commit, it would block its successor's every write).
    workers.push({
      name: 'runner',
      workload: 'task-runner',
      params: stale ? { ...task, waitInStep: stale.after + 1 } : task,
    });
    // The second runner starts when the first is gone (or frozen), moves its clock past the first's lease and resumes.
    const successorStart = stale
      ? { after: { kind: 'fault.injected' as const, worker: 'harness', where: { fault: 'pause' } } }
      : { after: { kind: 'worker.exited' as const, worker: 'runner' } };
    workers.push({
      name: 'resumer',
      workload: 'task-runner',
      params: { ...task, waitForGo: true },
      start: successorStart,
    });
    faults.push({
      kind: 'clock-skew',
      target: 'resumer',
      offsetMs: 2500,
      inject: { after: { kind: 'worker.ready', worker: 'resumer' } },
    });
    commands.push({ to: 'resumer', send: { cmd: 'go' }, on: { after: { kind: 'clock.skewed', worker: 'resumer' } } });
    gate('steps-once-in-order', 'Task steps in order, none re-run after its checkpoint committed', {
      check: 'committed-steps-not-rerun',
      taskId: 'campaign-task',
    });
    gate('no-stale-writes', 'No write accepted under a stale epoch', { check: 'no-stale-epoch-writes' });
  }
  const progress = (target: CampaignGroup, count: number) => ({
    after: { kind: PROGRESS[target], worker: target, count },
  });
  const afterCommits = (count: number) => ({
    after: { kind: 'checkpoint.committed' as const, worker: 'writer', count },
  });
  for (const f of s.faults) {
    if (f.kind === 'kill') faults.push({ kind: 'sigkill', target: f.target, inject: progress(f.target, f.after) });
    else if (f.kind === 'crash-point') faults.push({ kind: 'crash-point', target: f.target, point: f.point, at: f.at });
    else if (f.kind === 'stale-runner') {
      // Frozen inside a step (after its lease check), so on waking it goes on to write as the stale owner.
      faults.push({
        kind: 'pause',
        target: 'runner',
        inject: { after: { kind: 'step.started', worker: 'runner', count: f.after + 1 } },
        // Woken once the new owner is done: its writes then meet a completed task's lease.
        heal: { after: { kind: 'worker.exited', worker: 'resumer' } },
      });
      commands.push({
        to: 'runner',
        send: { cmd: 'go' },
        on: { after: { kind: 'fault.healed', worker: 'harness', where: { fault: 'pause' } } },
      });
    } else if (f.kind === 'lock')
      faults.push({ kind: 'lock-contention', holdMs: f.holdMs, inject: afterCommits(f.after) });
    else if (f.kind === 'disk-full')
      faults.push({
        kind: 'disk-full',
        sizeMb: 8,
        inject: afterCommits(f.after),
        heal: { after: { kind: 'op.fail', worker: 'writer', count: 3 } },
      });
    else faults.push({ kind: 'backup', inject: afterCommits(f.after) });
  }
  if (s.faults.some((f) => f.kind === 'backup'))
    gate('backup', 'Online backup consistent and a prefix of what was acknowledged', { check: 'backup-consistent' });
  gate('integrity', 'PRAGMA integrity_check', { check: 'integrity-ok' });
  gate('no-errors', 'No worker failed other than by the faults', { check: 'no-worker-errors' });
  return {
    id,
    title: `Campaign run ${s.seed}`,
    purpose: describeSchedule(s),
    seedTest: '— (campaign)',
    procedure: [describeSchedule(s)],
    workers,
    faults,
    commands,
    criteria,
    timeoutMs: 30_000,
  };
}

import { defineScenario } from '../../harness/define.js';

const runner = { taskId: 'power-task', steps: 200, workRounds: 500, leaseDurationMs: 3000 };

export default defineScenario({
  id: 'power-loss-full',
  title: "Power loss under durability 'full'",
  purpose:
    "The machine loses power while several processes commit: with durability 'full' no acknowledged commit is lost, sequence numbers stay gap-free, the database is intact and an interrupted task resumes.",
  seedTest: '— (not in the seed: it kills processes, which leaves the page cache and so every unsynced write intact)',
  procedure: [
    'The run folder is on lossyfs, a file system that keeps every write in memory until it is fsynced and can drop the rest, as a power loss would.',
    "A task runner works through a 200-step task; once it has finished 5 steps, three writers start committing checkpoints to their own tasks as fast as they can, all with durability 'full'.",
    'After a seeded random number (50–1,500) of acknowledged writer commits, the power goes: every worker dies of SIGKILL at once, and everything not fsynced is dropped; the last write is torn after 512 bytes.',
    "A new task runner starts; its clock is moved past the dead runner's task lease (no real waiting), and it runs the same task.",
    'Checks, on the files as the power loss left them and on the final database: every acknowledged commit, gap-free sequences, integrity, and the task resumed and finished.',
  ],
  workers: [
    { name: 'runner', workload: 'task-runner', durability: 'full', params: runner },
    // Writers start once the task is under way (they would starve it of the write lock from the start); their count
    // only bounds a run whose power loss never comes.
    {
      name: 'writer',
      workload: 'checkpoint-writer',
      count: 3,
      durability: 'full',
      params: { taskId: 'task-{worker}', count: 20_000 },
      start: { after: { kind: 'step.finished', worker: 'runner', count: 5 } },
    },
    {
      name: 'resumer',
      workload: 'task-runner',
      durability: 'full',
      params: { ...runner, waitForGo: true },
      start: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'power-loss' } } },
    },
  ],
  faults: [
    {
      kind: 'power-loss',
      target: 'runner',
      tear: 512,
      inject: { after: { kind: 'checkpoint.committed', worker: 'writer', count: { min: 50, max: 1500 } } },
    },
    {
      kind: 'clock-skew',
      target: 'resumer',
      offsetMs: 3500,
      inject: { after: { kind: 'worker.ready', worker: 'resumer' } },
    },
  ],
  commands: [{ to: 'resumer', send: { cmd: 'go' }, on: { after: { kind: 'clock.skewed', worker: 'resumer' } } }],
  criteria: [
    {
      id: 'nothing-lost',
      description:
        'Acknowledged commits missing from the files the power loss left (checked before anything reopens them)',
      seed: '— (the seed promises survival of a process crash only)',
      ours: '0 lost; the surviving database opens with integrity ok',
      check: { check: 'power-loss-tail', maxLost: 0 },
    },
    {
      id: 'acknowledged-present',
      description: 'Every acknowledged checkpoint is in the final database with the sequence number it was given',
      seed: '—',
      ours: '100 %',
      check: { check: 'acknowledged-checkpoints-present' },
    },
    {
      id: 'gap-free',
      description: 'Sequence numbers of every task are 1..n without gaps',
      seed: '—',
      ours: 'gap-free',
      check: { check: 'sequence-gap-free', taskIdPrefix: '' },
    },
    {
      id: 'integrity',
      description: 'PRAGMA integrity_check of the final database',
      seed: 'no database corruption',
      ours: 'ok',
      check: { check: 'integrity-ok' },
    },
    {
      id: 'resumed',
      description: 'Steps the new runner skipped: it resumed after the last step acknowledged before the power loss',
      seed: 'resume from checkpoint works',
      ours: '≥ 5 (every step acknowledged before the loss)',
      check: { check: 'event-field', kind: 'task.finished', worker: 'resumer', field: 'skipped', min: 5 },
    },
    {
      id: 'succeeded',
      description: 'Final task status',
      seed: 'task reaches terminal state (succeeded)',
      ours: 'succeeded',
      check: { check: 'task-status', taskId: 'power-task', status: 'succeeded' },
    },
    {
      id: 'no-errors',
      description: 'Worker errors other than the SIGKILLs of the power loss',
      seed: '—',
      ours: '0',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 60_000,
  // The power goes out under this layer's SQLite file; its runner's lease ends by the resumer's own clock.
  requires: ['sqlite-file', 'tasks', 'leases'],
});

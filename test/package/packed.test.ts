// The package as a user gets it: packed once, installed into a fresh project outside the repository, and used from
// plain `node` (no TypeScript loader) through each entry of package.json's exports and through its bin.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName, pgUrl } from '../../harness/postgres/pg-server.js';
import { PACKAGE_ROOT } from '../../harness/workers/build.js';
import { SCHEMA_LABELS, loadMigrations } from '../../src/index.js';
import { pgSkipReason } from '../helpers/temp-pg.js';

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  pnpm: { onlyBuiltDependencies: string[] };
};
/** Packing builds dist/ (prepack); installing may compile better-sqlite3 once on a machine whose store lacks it. */
const SETUP_MS = 8 * 60_000;

// Each command runs in its own process group, killed whole (pnpm's native build included) when it outlives its time
// or when this file's tests end.
const running = new Set<number>();
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group has exited.
  }
}
async function run(file: string, args: string[], options: Options & { cwd: string }, timeoutMs = 60_000) {
  const child = execa(file, args, { ...options, detached: true, reject: false, stdin: 'ignore' });
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  const timer = pid === undefined ? undefined : setTimeout(() => killGroup(pid), timeoutMs);
  try {
    const result = await child;
    // Not started, non-zero exit or killed: the reason, with what the command printed to stderr.
    if (result.failed) throw new Error(`${result.shortMessage}\n${String(result.stderr)}`);
    return result;
  } finally {
    clearTimeout(timer);
    if (pid !== undefined) running.delete(pid);
  }
}

let project = '';
/** Runs a script written into the consumer project with plain node, and parses the JSON line it prints last. */
async function node(name: string, source: string, args: string[] = []): Promise<Record<string, unknown>> {
  writeFileSync(join(project, name), source);
  // No NODE_OPTIONS: no loader (tsx) may help the package import.
  const { stdout } = await run(process.execPath, [name, ...args], { cwd: project, env: { NODE_OPTIONS: '' } });
  return JSON.parse(String(stdout).trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
}

/** The package packed from this checkout (prepack builds dist/). CI packs once and names the tarball instead. */
async function pack(): Promise<string> {
  const packDir = join(project, '.pack');
  mkdirSync(packDir);
  await run('pnpm', ['pack', '--pack-destination', packDir], { cwd: PACKAGE_ROOT }, SETUP_MS / 2);
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`pnpm pack wrote no .tgz into ${packDir}`);
  return join(packDir, tarball);
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'agentos-chaos-consumer-'));
  const tarball = process.env.AGENTOS_CHAOS_TARBALL ?? (await pack());
  // A user's project: the package's native builds allowed, as pnpm requires.
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      pnpm: { onlyBuiltDependencies: pkg.pnpm.onlyBuiltDependencies },
    }),
  );
  const dev = pkg.devDependencies;
  // --prefer-offline: packages (and better-sqlite3's built module, in pnpm's side-effects cache) come from the store.
  await run(
    'pnpm',
    [
      'add',
      tarball,
      `@langchain/langgraph@${dev['@langchain/langgraph'] ?? ''}`,
      `@langchain/core@${dev['@langchain/core'] ?? ''}`,
      '--prefer-offline',
    ],
    { cwd: project },
    SETUP_MS / 2,
  );
}, SETUP_MS + 30_000);

afterAll(() => {
  for (const pid of running) killGroup(pid);
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed package, installed and run by plain node', () => {
  it('agentos-chaos: commits a checkpoint to a SQLite file and reads it back through a new handle', async () => {
    const out = await node(
      'sqlite.mjs',
      `import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointManager, openDatabase } from 'agentos-chaos';

const file = join(mkdtempSync(join(process.cwd(), 'db-')), 'agentos.db');
const db = openDatabase(file);
const checkpoints = new CheckpointManager(db);
const committed = await checkpoints.commit(checkpoints.begin('task-1', 'plan', { goal: 'ship it' }));
db.close();
const again = openDatabase(file);
const last = await new CheckpointManager(again).getLast('task-1');
const schema = again.schemaLabel;
again.close();
console.log(JSON.stringify({ schema, seq: committed.seq, step: last?.step, state: last?.state }));
`,
    );
    // The migrations (.sql files read at run time) were shipped: the schema is the newest.
    expect(out).toEqual({
      schema: SCHEMA_LABELS[loadMigrations().length],
      seq: 1,
      step: 'plan',
      state: { goal: 'ship it' },
    });
  });

  it.skipIf(pgSkipReason !== undefined)(
    'agentos-chaos/postgres: commits a checkpoint in a fresh schema and reads it back',
    async () => {
      const schema = freshSchemaName('agentos_packed');
      try {
        const out = await node(
          'postgres.mjs',
          `import { CheckpointManager } from 'agentos-chaos';
import { openPgDatabase } from 'agentos-chaos/postgres';

const [connectionString, schema] = process.argv.slice(2);
const db = await openPgDatabase({ connectionString, schema });
try {
  const checkpoints = new CheckpointManager(db);
  const committed = await checkpoints.commit(checkpoints.begin('task-1', 'plan', { goal: 'ship it' }));
  const last = await checkpoints.getLast('task-1');
  console.log(JSON.stringify({ backend: db.backend, seq: committed.seq, step: last?.step, state: last?.state }));
} finally {
  await db.close();
}
`,
          [pgUrl(), schema],
        );
        expect(out).toEqual({ backend: 'postgres', seq: 1, step: 'plan', state: { goal: 'ship it' } });
      } finally {
        await dropSchema(schema);
      }
    },
  );

  it('agentos-chaos/langgraph: a two-node graph checkpointed by AgentosSaver; a new saver reads its state back', async () => {
    const out = await node(
      'langgraph.mjs',
      `import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { openDatabase } from 'agentos-chaos';
import { AgentosSaver } from 'agentos-chaos/langgraph';

const file = join(mkdtempSync(join(process.cwd(), 'graph-')), 'agent.db');
const State = Annotation.Root({
  steps: Annotation({ reducer: (done, more) => [...done, ...more], default: () => [] }),
});
const graph = (saver) =>
  new StateGraph(State)
    .addNode('plan', () => ({ steps: ['plan'] }))
    .addNode('act', () => ({ steps: ['act'] }))
    .addEdge(START, 'plan')
    .addEdge('plan', 'act')
    .addEdge('act', END)
    .compile({ checkpointer: saver });
const config = { configurable: { thread_id: 'thread-1' } };

const db = openDatabase(file);
const saver = new AgentosSaver(db);
const final = await graph(saver).invoke({}, config);
await saver.releaseThread('thread-1');
db.close();

// Another handle, saver and graph on the same file: the thread's state comes from the database.
const again = openDatabase(file);
const state = await graph(new AgentosSaver(again)).getState(config);
again.close();
console.log(JSON.stringify({ final: final.steps, saved: state.values.steps, next: state.next }));
`,
    );
    expect(out).toEqual({ final: ['plan', 'act'], saved: ['plan', 'act'], next: [] });
  });

  it('agentos-chaos/harness: exports the declaration helpers; defineScenario returns its argument', async () => {
    const out = await node(
      'harness.mjs',
      `import * as harness from 'agentos-chaos/harness';

const scenario = { id: 'packed', title: 'A declaration' };
console.log(JSON.stringify({ exports: Object.keys(harness), same: harness.defineScenario(scenario) === scenario }));
`,
    );
    expect(out.same).toBe(true);
    expect(out.exports).toEqual(
      expect.arrayContaining(['defineBenchmark', 'defineScenario', 'defineStress', 'defineSubject', 'defineConfig']),
    );
  });

  it('the agentos-chaos bin prints its usage for --help', async () => {
    const { stdout } = await run(join(project, 'node_modules/.bin/agentos-chaos'), ['--help'], { cwd: project });
    expect(String(stdout)).toMatch(/^Usage: .*\[options\]/);
    expect(String(stdout)).toContain('--only <id,...>');
  });

  it('the agentos-chaos bin runs the package’s scenarios against a subject file of the project, and writes its reports', async () => {
    // The subject of docs/subjects.md, saved as that page says.
    const guide = readFileSync(join(PACKAGE_ROOT, 'docs/subjects.md'), 'utf8');
    const subject = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.includes('defineSubject({'));
    mkdirSync(join(project, 'subjects'), { recursive: true });
    writeFileSync(join(project, 'subjects/jsonl-file.ts'), subject ?? '');
    const bin = join(project, 'node_modules/.bin/agentos-chaos');
    const { stdout } = await run(bin, ['--builtin', '--only', 'kill9-recovery', '--subject', 'jsonl-file'], {
      cwd: project,
      env: { NODE_OPTIONS: '', CI: 'true' },
    });
    expect(String(stdout)).toContain('agentos-chaos: 1 declared test(s) on jsonl-file');
    // A partial run (--only): its results go beside the last full run's.
    const results = JSON.parse(readFileSync(join(project, 'reports/partial-results.json'), 'utf8')) as {
      results: { id: string; subject?: string; state: string }[];
    };
    expect(results.results).toEqual([
      expect.objectContaining({ id: 'kill9-recovery', subject: 'jsonl-file', state: 'passed' }),
    ]);
    // Nothing was written inside the installed package.
    expect(readdirSync(join(project, 'node_modules/agentos-chaos/dist'))).not.toContain('reports');
  });
});

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, buildBeside, builtPath } from '../../harness/workers/build.js';
import { openDatabase } from '../../src/index.js';
import { AgentosSaver } from '../../src/langgraph/index.js';
import { useTempDir } from '../helpers/temp-db.js';

const EXAMPLE = 'examples/langgraph-agent.ts';
/** A module that makes the run kill itself just after the writes of the node that printed `killAfterWritesOf`. */
const KILL_AFTER_WRITES = 'test/langgraph/kill-after-writes.ts';

/**
 * How a run starts: as the example says (`tsx`, its TypeScript loaded by tsx), or `built`: the same code transpiled
 * once beside the workers' build and run with plain node, which saves tsx's start (~1.5 s a run) in the kill tests.
 */
type Start = 'tsx' | 'built';

/** One run of the example: node (with tsx's loader) is one process, so a signal sent to it reaches the agent. */
function startAgent(dir: string, start: Start, killAfterWritesOf?: string) {
  const kill = killAfterWritesOf !== undefined;
  const args =
    start === 'tsx'
      ? ['--import', 'tsx', ...(kill ? ['--import', `./${KILL_AFTER_WRITES}`] : []), EXAMPLE]
      : [...(kill ? ['--import', pathToFileURL(builtPath(KILL_AFTER_WRITES)).href] : []), builtPath(EXAMPLE)];
  return execa('node', [...args, dir], {
    cwd: PACKAGE_ROOT,
    reject: false,
    all: true,
    env: kill ? { KILL_AFTER_WRITES_OF: killAfterWritesOf } : {},
  });
}
type Run = ReturnType<typeof startAgent>;

/** Starts runs of examples/langgraph-agent.ts, collecting their output; every run is reaped after each test. */
function useAgent(): {
  start: (dir: string, start: Start, killAfterWritesOf?: string) => Run;
  output: (run: Run) => string;
} {
  const runs: Run[] = [];
  beforeAll(async () => {
    await buildBeside([EXAMPLE, KILL_AFTER_WRITES]);
  });
  const text = new Map<Run, string>();
  afterEach(async () => {
    for (const run of runs.splice(0)) {
      if (run.exitCode === null && run.signalCode === null) run.kill('SIGKILL');
      await run;
    }
  });
  return {
    start(dir, start, killAfterWritesOf) {
      const run = startAgent(dir, start, killAfterWritesOf);
      text.set(run, '');
      run.all.on('data', (chunk: Buffer) => text.set(run, `${text.get(run) ?? ''}${chunk.toString('utf8')}`));
      runs.push(run);
      return run;
    },
    output: (run) => text.get(run) ?? '',
  };
}

/** Resolves when the run has printed `line` (or rejects if it ends first). */
function printed(agent: ReturnType<typeof useAgent>, run: Run, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (agent.output(run).split('\n').includes(line)) {
        run.all.off('data', check);
        resolve();
      }
    };
    run.all.on('data', check);
    void run.then(() => reject(new Error(`the agent ended without printing "${line}":\n${agent.output(run)}`)));
    check();
  });
}

function effects(dir: string): string[] {
  return readFileSync(join(dir, 'effects.log'), 'utf8').trim().split('\n');
}

describe('examples/langgraph-agent.ts', () => {
  const tempDir = useTempDir();
  const agent = useAgent();
  const notes = ['note-1', 'note-2', 'note-3', 'note-4', 'note-5'];

  it.each([
    ['after its first tool call', 'tool: notes/note-1.md written'],
    ['between the LLM picking a tool call and the tool running', 'llm: next, write notes/note-2.md'],
  ])(
    'killed with SIGKILL %s, resumes in a new process at once and makes every tool side effect once',
    async (_when, killAfter) => {
      const dir = tempDir();
      const first = agent.start(dir, 'built');
      // Once its imports are done, the run to be killed gets the lowest priority: on a busy machine the test then reads
      // the line it kills on before the agent has run on much further, let alone finished.
      await printed(agent, first, 'starting');
      await execa('renice', ['-n', '19', '-p', String(first.pid)]);
      await printed(agent, first, killAfter);
      first.kill('SIGKILL');
      const killed = await first;
      expect(killed.signal).toBe('SIGKILL');
      expect(agent.output(first)).not.toMatch(/^done/m);

      await resumesAndWritesEachNoteOnce(dir, first);
    },
  );

  // The moment a kill from outside reaches only on a busy machine: the node has returned and its writes are saved,
  // LangGraph has not yet put its step's checkpoint. The step is done, so the resumed run must not run that node again.
  it.each([
    ['the tool node', 'tool: notes/note-1.md written'],
    ['the LLM node', 'llm: next, write notes/note-2.md'],
  ])(
    'killed with SIGKILL after the writes of %s are saved, before its step’s checkpoint, resumes without running it again',
    async (_node, printedByNode) => {
      const dir = tempDir();
      const first = agent.start(dir, 'built', printedByNode);
      const killed = await first;
      expect(killed.signal, agent.output(first)).toBe('SIGKILL');
      expect(agent.output(first)).toContain(`killed after the writes of the node that printed "${printedByNode}"`);

      const resumed = await resumesAndWritesEachNoteOnce(dir, first);
      expect(resumed).not.toContain(printedByNode);
    },
  );

  /** Runs the agent again after `first` was killed: it must resume (not start over) and make each note once. Its output. */
  async function resumesAndWritesEachNoteOnce(dir: string, first: Run): Promise<string> {
    // The killed process still holds the thread's lease (60 s); it is taken over at once because its process is gone.
    const second = agent.start(dir, 'built');
    const resumed = await second;
    expect(resumed.exitCode, agent.output(second)).toBe(0);
    expect(agent.output(second)).toMatch(/^resuming after step \d+$/m);
    expect(agent.output(second)).toMatch(/^done: 5 notes/m);
    expect(effects(dir)).toEqual(notes);
    expect(readdirSync(join(dir, 'notes')).sort()).toEqual(notes.map((n) => `${n}.md`));
    // Every tool call the first run finished was replayed or skipped by the second, never written again.
    const writtenTwice = notes.filter((n) =>
      [first, second].every((run) => agent.output(run).includes(`tool: notes/${n}.md written`)),
    );
    expect(writtenTwice).toEqual([]);
    return agent.output(second);
  }

  it('is shown verbatim in docs/langgraph.md', () => {
    const page = readFileSync(join(PACKAGE_ROOT, 'docs/langgraph.md'), 'utf8');
    const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(readFileSync(join(PACKAGE_ROOT, 'examples/langgraph-agent.ts'), 'utf8'));
  });

  it('refuses to run a thread another process holds, with ThreadBusyError naming the holder, writing nothing', async () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'agent.db'));
    const holder = new AgentosSaver(db, { workerId: 'the-test-process' });
    try {
      await holder.claimThread('release-notes');
      const refused = agent.start(dir, 'tsx');
      const result = await refused;
      expect(result.exitCode).not.toBe(0);
      expect(agent.output(refused)).toMatch(
        /ThreadBusyError: thread "release-notes" is being run by "the-test-process"/,
      );
      expect(existsSync(join(dir, 'effects.log'))).toBe(false);
      expect(db.sqlite.prepare('SELECT COUNT(*) FROM langgraph_checkpoints').pluck().get()).toBe(0);

      await holder.releaseThread('release-notes');
      const after = agent.start(dir, 'tsx');
      expect((await after).exitCode, agent.output(after)).toBe(0);
      expect(effects(dir)).toEqual(notes);
    } finally {
      db.close();
    }
  });
});

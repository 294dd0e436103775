import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../harness/report/results-file.js';
import { PACKAGE_ROOT } from '../../harness/workers/build.js';
import { UsageError, readRunRequest } from '../../scripts/run-request.js';
import { useTempDir } from '../helpers/temp-db.js';

/** The subject file of docs/subjects.md, as a user saves it, importing the harness from this checkout. */
const guide = readFileSync(join(PACKAGE_ROOT, 'docs/subjects.md'), 'utf8');
const example = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .find((b) => b.includes('defineSubject({'));
const harnessEntry = pathToFileURL(join(PACKAGE_ROOT, 'harness/index.ts')).href;
const subjectFile = (): string => example!.replaceAll("'agentos-chaos/harness'", `'${harnessEntry}'`);

describe('a project of its own, with a subject file and no change to the harness', () => {
  const tempDir = useTempDir();

  function project(subjects: Record<string, string>): string {
    const root = tempDir();
    writeFileSync(join(root, 'package.json'), '{ "name": "my-runtime-chaos", "type": "module" }\n');
    mkdirSync(join(root, 'subjects'));
    for (const [name, source] of Object.entries(subjects)) writeFileSync(join(root, 'subjects', name), source);
    return root;
  }

  const chaos = (cwd: string, args: string[]) =>
    execa(join(PACKAGE_ROOT, 'node_modules/.bin/tsx'), [join(PACKAGE_ROOT, 'scripts/chaos.ts'), ...args], {
      cwd,
      reject: false,
      env: { CI: 'true' },
    });

  /** The usage error a request is refused with, read in-process (the CLI prints it and exits 2: scripts/chaos.test.ts). */
  async function refusal(cwd: string, args: string[]): Promise<string> {
    const error: unknown = await readRunRequest(args, cwd).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }

  // Every run here is partial (--only): its results go beside the last full run's, never over them.
  const results = (root: string): ResultsFile =>
    JSON.parse(readFileSync(join(root, 'reports/partial-results.json'), 'utf8')) as ResultsFile;

  it('runs the package’s scenarios against the subject of docs/subjects.md and writes the project’s report', async () => {
    expect(example).toBeDefined();
    const root = project({ 'jsonl-file.ts': subjectFile() });
    const run = await chaos(root, ['--builtin', '--only', 'kill9-recovery', '--subject', 'jsonl-file']);
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const [result] = results(root).results;
    expect(result).toMatchObject({ id: 'kill9-recovery', subject: 'jsonl-file', state: 'passed' });
    const acknowledged =
      result?.category === 'chaos' ? result.criteria.find((c) => c.id === 'acknowledged-present') : undefined;
    expect(acknowledged?.valid).toBe(true);
    // Sequence numbers are not declared: those criteria are not applicable, never passed.
    expect(result?.category === 'chaos' ? result.notApplicable : []).toContain(
      'gap-free: sequence-gap-free needs sequence',
    );
    expect(readFileSync(join(root, 'reports/partial.md'), 'utf8')).toContain('jsonl-file');
  });

  it('fails a subject that acknowledges a checkpoint before storing it', async () => {
    // The same file, but the write happens after the acknowledgement: what a kill -9 takes away.
    const lossy = subjectFile()
      .replace("name: 'jsonl-file'", "name: 'jsonl-lossy'")
      .replace(
        'appendFileSync(join(runDir, FILE), `${JSON.stringify({ id, taskId, step, token: state.token })}\\n`);',
        'setTimeout(() => appendFileSync(join(runDir, FILE), `${JSON.stringify({ id, taskId, step, token: state.token })}\\n`), 200);',
      );
    expect(lossy).toContain('setTimeout');
    const root = project({ 'jsonl-lossy.ts': lossy });
    const run = await chaos(root, ['--builtin', '--only', 'kill9-recovery', '--subject', 'jsonl-lossy']);
    expect(run.exitCode, run.stderr + run.stdout).toBe(1);
    const [result] = results(root).results;
    const acknowledged =
      result?.category === 'chaos' ? result.criteria.find((c) => c.id === 'acknowledged-present') : undefined;
    expect(acknowledged?.valid).toBe(false);
  });

  it('names the file, the key and the closest capability of an invalid subject, and runs nothing', async () => {
    const root = project({
      'jsonl-file.ts': subjectFile().replace("capabilities: ['checkpoints']", "capabilities: ['checkpoint']"),
    });
    const message = await refusal(root, ['--builtin', '--only', 'kill9-recovery', '--subject', 'jsonl-file']);
    expect(message).toContain('subjects/jsonl-file.ts: "jsonl-file": capabilities[0]');
    expect(message).toContain('did you mean "checkpoints"?');
    expect(message).toContain('Nothing was run.');
  });

  it('suggests the subject meant, among the package’s and the project’s', async () => {
    const root = project({ 'jsonl-file.ts': subjectFile() });
    expect(await refusal(root, ['--builtin', '--only', 'kill9-recovery', '--subject', 'jsonl-fle'])).toMatch(
      /--subject must be one or more of .*agentos-sqlite.*jsonl-file .*did you mean "jsonl-file"\?/,
    );
  });

  it('says where scenarios go when the project has none and --builtin is not given', async () => {
    const root = project({ 'jsonl-file.ts': subjectFile() });
    const message = await refusal(root, ['--subject', 'jsonl-file']);
    expect(message).toContain(`no scenarios in ${join(root, 'scenarios')}`);
    expect(message).toContain('--builtin');
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { BUILTIN_SUBJECTS, SubjectError, loadSubjects, workerModule } from './load-subjects.js';
import { BUILD_DIR } from './workers/build.js';

const api = pathToFileURL(join(import.meta.dirname, 'subject.ts')).href;

/** A subject file's source: a valid declaration with `fields` replaced. */
function subject(fields: Record<string, string> = {}): string {
  const all = {
    name: "'mine'",
    summary: "'a store of my own'",
    capabilities: "['checkpoints']",
    prepare:
      'async () => ({ read: async () => ({ checkpoints: [], latest: {}, integrity: [] }), close: async () => {} })',
    open: 'async () => { throw new Error("not opened in this test"); }',
    ...fields,
  };
  const body = Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `  ${k}: ${v},`)
    .join('\n');
  return `import { defineSubject } from '${api}';\nexport default defineSubject({\n${body}\n} as never);\n`;
}

describe('loadSubjects', () => {
  const tempDir = useTempDir();

  function folder(files: Record<string, string>): string {
    const dir = join(tempDir(), 'subjects');
    mkdirSync(dir);
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
    return dir;
  }

  it('knows the package’s own subjects and a project’s, each found by its file', async () => {
    const dir = folder({ 'mine.ts': subject() });
    const catalog = await loadSubjects([BUILTIN_SUBJECTS, dir]);
    expect(catalog.names).toEqual(expect.arrayContaining(['agentos-sqlite', 'agentos-postgres', 'mine']));
    expect(catalog.get('mine').file).toBe(join(dir, 'mine.ts'));
    expect(catalog.get('agentos-postgres').definition.server).toBe('postgres');
    expect(() => catalog.get('mien')).toThrow(/unknown subject "mien"; known: .*; did you mean "mine"\?/);
  });

  it('lists every invalid declaration with its file, key path and the closest valid value', async () => {
    const dir = folder({
      'a.ts': subject({ name: "'Bad Name'" }),
      'b.ts': subject({ name: "'b'", capabilities: "['checkpoints', 'lease']" }),
      'c.ts': subject({ name: "'c'", open: '' }),
      'd.ts': 'export const nothing = 1;\n',
    });
    const error = await loadSubjects([dir]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubjectError);
    const problems = (error as SubjectError).problems.join('\n');
    expect(problems).toContain('subjects/a.ts: "Bad Name": name: must be lower-case letters, digits and dashes');
    expect(problems).toMatch(/subjects\/b\.ts: "b": capabilities\[1\]: .*did you mean "leases"\?/);
    expect(problems).toContain('subjects/c.ts: "c": open: open must be a function');
    expect(problems).toContain('subjects/d.ts: has no default export; export default defineSubject(');
  });

  it('refuses a name declared twice, naming both files', async () => {
    const dir = folder({ 'one.ts': subject(), 'two.ts': subject() });
    await expect(loadSubjects([dir])).rejects.toThrow(/two\.ts: subject "mine" is already declared in .*one\.ts/);
  });

  it('has a worker import the package’s subjects from the JavaScript build, and any other file as it is', async () => {
    const dir = folder({ 'mine.ts': subject() });
    const catalog = await loadSubjects([BUILTIN_SUBJECTS, dir]);
    expect(workerModule(catalog.get('agentos-sqlite'))).toBe(join(BUILD_DIR, 'harness/subjects/agentos-sqlite.js'));
    expect(workerModule(catalog.get('agentos-sqlite'), '/elsewhere')).toBe(
      '/elsewhere/harness/subjects/agentos-sqlite.js',
    );
    expect(workerModule(catalog.get('mine'))).toBe(join(dir, 'mine.ts'));
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { BUILTIN_SUBJECTS } from './load-subjects.js';
import { BUILTIN_SCENARIOS } from './load.js';
import { ConfigError, findProject } from './project.js';

describe('findProject', () => {
  const tempDir = useTempDir();

  it('finds the project above the folder the command runs in, with its scenarios, subjects and reports', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'scenarios/chaos'), { recursive: true });
    mkdirSync(join(root, 'src/deep'), { recursive: true });
    const project = await findProject(join(root, 'src/deep'));
    expect(project).toEqual({
      root,
      scenarioDirs: [join(root, 'scenarios')],
      // No subjects/ folder: the package's own subjects only.
      subjectDirs: [BUILTIN_SUBJECTS],
      reportsDir: join(root, 'reports'),
    });
    expect((await findProject(root, { builtin: true })).scenarioDirs).toEqual([
      join(root, 'scenarios'),
      BUILTIN_SCENARIOS,
    ]);
  });

  it('takes the folders a chaos.config names', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'chaos/subjects'), { recursive: true });
    mkdirSync(join(root, 'chaos/tests'), { recursive: true });
    writeFileSync(
      join(root, 'chaos.config.mjs'),
      "export default { scenarios: 'chaos/tests', subjects: ['chaos/subjects'], reports: 'out/chaos' };\n",
    );
    const project = await findProject(root);
    expect(project.config).toBe(join(root, 'chaos.config.mjs'));
    expect(project.scenarioDirs).toEqual([join(root, 'chaos/tests')]);
    expect(project.subjectDirs).toEqual([BUILTIN_SUBJECTS, join(root, 'chaos/subjects')]);
    expect(project.reportsDir).toBe(join(root, 'out/chaos'));
  });

  it('names the config file, the key and the closest valid key of a bad config; and a folder that is not there', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'chaos.config.mjs'), "export default { scenario: 'x' };\n");
    await expect(findProject(root)).rejects.toThrow(
      /chaos\.config\.mjs: "config": .*scenario.*did you mean "scenarios"\?/,
    );
    // Another project: a module is imported once per process.
    const other = tempDir();
    writeFileSync(join(other, 'chaos.config.mjs'), "export default { subjects: 'missing' };\n");
    const error = await findProject(other).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `${join(other, 'chaos.config.mjs')}: folder ${join(other, 'missing')} does not exist`,
    );
  });
});

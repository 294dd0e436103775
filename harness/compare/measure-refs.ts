import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { mergeRounds, type BenchFile } from '../report/bench-file.js';
import { BenchFileError, readBenchFile } from '../report/bench-read.js';

/** A ref that is not a commit, or a round that wrote no benchmark file. */
export class MeasureRefsError extends Error {
  override name = 'MeasureRefsError';
}

/** Resolves a ref to a full commit hash in `root`. */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  const found = await $({ cwd: root, quiet: true, nothrow: true })`git rev-parse --verify --quiet ${`${ref}^{commit}`}`;
  if (found.exitCode !== 0) throw new MeasureRefsError(`"${ref}" is not a commit in this repository`);
  return found.stdout.trim();
}

/**
 * Checks both refs out in temporary git worktrees, installs each, and runs their benchmarks (`only` these, when
 * given) alternately (A B A B …, `rounds` per side) in fresh processes, so both sides share the machine's drift. The
 * worktrees are removed afterwards, also when a round fails.
 */
export async function measureRefs(
  root: string,
  refs: [string, string],
  rounds: number,
  only: readonly string[] | undefined,
  log: (line: string) => void,
): Promise<[BenchFile, BenchFile]> {
  const selection = only ? ['--only', only.join(',')] : [];
  const shas = [await resolveCommit(root, refs[0]), await resolveCommit(root, refs[1])] as const;
  const folder = mkdtempSync(join(tmpdir(), 'agentos-bench-compare-'));
  const sides = (['base', 'head'] as const).map((side, i) => ({ side, sha: shas[i]!, tree: join(folder, side) }));
  const added: string[] = [];
  const git = $({ cwd: root, quiet: true });
  try {
    for (const { side, sha, tree } of sides) {
      await git`git worktree add --detach ${tree} ${sha}`;
      added.push(tree);
      log(`installing ${side} (${sha.slice(0, 7)}) …`);
      await $({ cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] })`pnpm install --frozen-lockfile --prefer-offline`;
    }
    const collected: BenchFile[][] = [[], []];
    for (let round = 1; round <= rounds; round++) {
      for (const [i, { side, tree }] of sides.entries()) {
        log(`round ${round}/${rounds}: ${side}`);
        // The file is named by the worktree's own short hash; removed first so that each round is read alone and a
        // failed round cannot reuse the last one.
        const short = (await $({ cwd: tree, quiet: true })`git rev-parse --short HEAD`).stdout.trim();
        const file = join(tree, 'reports', 'bench', `${short}.json`);
        rmSync(file, { force: true });
        const run = await $({
          cwd: tree,
          stdio: ['ignore', 'ignore', 'inherit'],
          nothrow: true,
        })`pnpm chaos --category bench --seed ${round} ${selection}`;
        if (!existsSync(file)) {
          throw new MeasureRefsError(
            `round ${round}: ${side} wrote no ${file} (exit ${run.exitCode ?? run.signal}); does that commit have the benchmark harness?`,
          );
        }
        collected[i]!.push(readBenchFile(file));
      }
    }
    return [mergeRounds(collected[0]!), mergeRounds(collected[1]!)];
  } catch (error) {
    if (error instanceof BenchFileError || error instanceof MeasureRefsError) throw error;
    throw new MeasureRefsError(
      `measuring ${refs[0]} against ${refs[1]} failed: ${error instanceof Error ? error.message.trim() : String(error)}`,
      { cause: error },
    );
  } finally {
    const cleanup = $({ cwd: root, quiet: true, nothrow: true });
    for (const tree of added) await cleanup`git worktree remove --force ${tree}`;
    await cleanup`git worktree prune`;
    rmSync(folder, { recursive: true, force: true });
  }
}

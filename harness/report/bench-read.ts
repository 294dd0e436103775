import { readFileSync } from 'node:fs';
import type { BenchFile } from './bench-file.js';
import { summaryProblems } from './bench-consistency.js';
import {
  BENCH_SCHEMA,
  BENCH_SCHEMA_V1,
  benchFileSchema,
  describeLocation,
  upgradeV1,
  valueAt,
} from './bench-schema.js';

/** A benchmark file that cannot be used: missing, not JSON, another format, or contradicting itself. */
export class BenchFileError extends Error {
  override name = 'BenchFileError';
}

/** Problems listed in one message before the rest are counted. */
const SHOWN_PROBLEMS = 8;

/** Reads and validates a benchmark file; every problem is named by file, benchmark, round, field and value. */
export function readBenchFile(path: string): BenchFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BenchFileError(
      `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`}`,
      { cause: error },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BenchFileError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
  return parseBenchFile(data, path);
}

/** Validates parsed JSON as a benchmark file (bench@2, or bench@1 read as one); `source` names it in errors. */
export function parseBenchFile(raw: unknown, source: string): BenchFile {
  const schema = raw !== null && typeof raw === 'object' ? (raw as { schema?: unknown }).schema : undefined;
  // JSON.stringify returns undefined for undefined (its type says otherwise).
  if (schema !== BENCH_SCHEMA && schema !== BENCH_SCHEMA_V1)
    throw new BenchFileError(
      `${source}: schema is ${(JSON.stringify(schema) as string | undefined) ?? 'missing'}, expected "${BENCH_SCHEMA}" (or the older "${BENCH_SCHEMA_V1}")`,
    );
  const data = schema === BENCH_SCHEMA_V1 ? upgradeV1(raw) : raw;
  const parsed = benchFileSchema.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `${describeLocation(data, issue.path)}: ${valueAt(data, issue.path)} — ${issue.message}`,
    );
    throw new BenchFileError(problemList(source, 'is not a valid benchmark file', lines));
  }
  const file = parsed.data;
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const entry of file.benchmarks) {
    if (seen.has(entry.id))
      lines.push(`benchmark "${entry.id}": listed twice; each id appears once (its rounds together)`);
    seen.add(entry.id);
    for (const p of summaryProblems(entry)) {
      lines.push(
        `benchmark "${entry.id}"${p.round > 0 ? `, round ${p.round}` : ''}, ${p.field}${'value' in p ? ` = ${JSON.stringify(p.value)}` : ''}: ${p.message}`,
      );
    }
  }
  if (lines.length > 0) throw new BenchFileError(problemList(source, 'contradicts itself', lines));
  return file;
}

function problemList(source: string, what: string, lines: string[]): string {
  const more = lines.length > SHOWN_PROBLEMS ? [`… and ${lines.length - SHOWN_PROBLEMS} more`] : [];
  return [`${source} ${what}:`, ...lines.slice(0, SHOWN_PROBLEMS).map((l) => `  ${l}`), ...more].join('\n');
}

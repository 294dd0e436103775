import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointManager,
  LLMOutputCache,
  LeaseManager,
  RecoverySweep,
  TaskRunner,
  ToolLedger,
  evidence,
  openDatabase,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'agentos-quickstart-'));
const db = openDatabase(join(dir, 'agentos.db')); // WAL, synchronous=NORMAL, migrations applied
console.log(`schema v${db.schemaLabel}`);

// Checkpoints: per-task, gap-free sequence numbers; evidence is verified inside baseDir.
const checkpoints = new CheckpointManager(db, { baseDir: dir });
const first = await checkpoints.commit(checkpoints.begin('task-1', 'plan', { goal: 'ship it' }));
console.log(`checkpoint seq ${first.seq}, verified ${first.verified}`);

// Tool calls run once; the same call later is replayed from the ledger.
const tools = new ToolLedger(db);
const run = await tools.run('echo hello > hello.txt && echo done', { cwd: dir });
const again = await tools.run('echo hello > hello.txt && echo done', { cwd: dir });
console.log(`tool: ${run.stdout.trim()} (replayed: ${again.replayed})`);

// LLM outputs are cached by the hash of model + parameters + prompt.
const cache = new LLMOutputCache(db);
const request = { model: 'my-model', prompt: 'Say hi', parameters: { temperature: 0 } };
const answer = await cache.getOrGenerate(request, async () => ({ text: 'hi' }));
console.log(`llm: ${answer.text}, hit rate so far ${cache.stats().hitRate}`);

// Leases: compare-and-swap acquisition with a fencing epoch; the sweep reclaims expired ones.
const leases = new LeaseManager(db, { workerId: 'worker-a', leaseDurationMs: 60_000 });
await leases.enqueue([{ id: 'job-1', payload: { url: 'https://example.com' } }]);
const lease = await leases.acquire();
console.log(`leased ${lease?.itemId} at epoch ${lease?.epoch}`);
console.log(`sweep recovered ${(await new RecoverySweep(db).scanAndRecover()).recovered} expired lease(s)`);

// Tasks: each finished step is checkpointed; run() again after a crash resumes after the last one.
const runner = new TaskRunner(db, checkpoints, {
  initialState: { files: [] as string[] },
  steps: [
    {
      name: 'fetch',
      run: (s) => ({ files: [...s.files, 'hello.txt'] }),
      evidence: () => evidence.pack(evidence.fileExists('hello.txt')),
    },
    { name: 'summarise', run: (s) => s },
  ],
});
const result = await runner.run('task-2');
console.log(`task ${result.taskId}: ${result.status} after ${result.executed.join(', ')}`);
db.close();
rmSync(dir, { recursive: true, force: true }); // this example's scratch folder

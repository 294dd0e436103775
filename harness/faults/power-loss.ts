import { basename, dirname } from 'node:path';
import { lossyFsUnavailable } from '../powerloss/availability.js';
import { LossyFs, type DropReport } from '../powerloss/lossyfs.js';
import { saveSurvivors } from '../powerloss/survivors.js';
import { waitUntilDead } from '../powerloss/wait-dead.js';
import type { Fault } from '../schema.js';
import { wallTimeMs } from '../time.js';
import type { WorkerProcess } from '../workers/supervisor.js';
import { sqliteFile, type FaultRuntime, type Injector } from './injector.js';

type PowerLossFault = Extract<Fault, { kind: 'power-loss' }>;

/**
 * The machine loses power. The run folder is on lossyfs (mounted by setup), so every write not yet fsynced is
 * lost: every live worker of the run dies of SIGKILL in the same instant (the target names a group on the machine;
 * the others share its disk, so they cannot live on), then the file system drops what was not durable
 * (optionally tearing the last write). The database files as they survived are copied to power-loss-<n>/ for the
 * power-loss-tail check. The harness's own connection is closed first: no connection outlives a power loss, and
 * its shared-memory map of the -shm file would point at dropped pages.
 */
export const powerLoss: Injector<PowerLossFault> = {
  needs: 'sqlite-file',
  unavailable: () => lossyFsUnavailable(),

  async setup(_fault, { runDir }) {
    if (LossyFs.containing(runDir)) return; // several power losses in one scenario share one mount
    const fs = await LossyFs.mount(runDir, runDir);
    return () => fs.unmount();
  },

  inject(fault, rt) {
    const db = sqliteFile(rt);
    const dbPath = db.sqlite.name;
    const fs = LossyFs.containing(dbPath);
    if (!fs)
      throw new Error(
        `power-loss: the database ${dbPath} is not on lossyfs; the runner must await the fault's setup() before opening the database`,
      );
    const victims = everyLiveWorker(rt);
    // Before the kill, while the workers still hold the database: closing the last connection would checkpoint (fsync) the WAL.
    db.close();
    const killedAtMs = wallTimeMs();
    const killed = victims.filter((w) => w.signal('SIGKILL'));
    waitUntilDead(killed.map((w) => w.pid));
    const drop = fs.drop(fault.tear === undefined ? {} : { tear: fault.tear });
    const index = rt.history.select('fault.injected', { where: { fault: 'power-loss' } }).length + 1;
    const dir = saveSurvivors(dirname(dbPath), dbPath, {
      index,
      killedAtMs,
      killed: killed.map((w) => ({ id: w.id, pid: w.pid })),
      database: basename(dbPath),
      drop,
    });
    rt.injected(
      `power lost: SIGKILL to ${killed.map((w) => `${w.id} (pid ${w.pid})`).join(', ') || 'nobody (no live worker)'}; ${describeDrop(drop)}; survivors in ${dir}`,
      drop.bytesDropped,
    );
  },

  fired(fault, history) {
    const losses = history.select('fault.injected', { where: { fault: 'power-loss', target: fault.target } });
    if (losses.length === 0) return { fired: false, detail: 'the power was never lost' };
    const empty = losses.filter((e) => e.affected === 0);
    return empty.length === 0
      ? {
          fired: true,
          detail: `${losses.length} power loss(es) dropped ${losses.map((e) => formatBytes(e.affected)).join(', ')} of unsynced data`,
        }
      : {
          fired: false,
          detail: `${empty.length} of ${losses.length} power loss(es) dropped nothing: every write had been fsynced, so the loss proved nothing`,
        };
  },
};

function everyLiveWorker(rt: FaultRuntime): WorkerProcess[] {
  const ids = new Set(rt.history.select('worker.started').map((e) => e.worker));
  const live = new Map<string, WorkerProcess>();
  for (const id of ids) for (const w of rt.workers(id)) live.set(w.id, w);
  return [...live.values()];
}

function describeDrop(drop: DropReport): string {
  const biggest = [...drop.files].sort((a, b) => b.bytes - a.bytes);
  const shown = biggest
    .slice(0, 4)
    .map((f) => `${f.path.slice(1)} ${formatBytes(f.bytes)}${f.vanished ? ' (vanished)' : ''}`);
  const files = [...shown, ...(biggest.length > 4 ? [`${biggest.length - 4} more file(s)`] : [])].join(', ');
  const torn = drop.torn
    ? `; last write torn: ${drop.torn.kept} of ${drop.torn.length} bytes kept at ${drop.torn.path ?? '(a file that did not survive)'}:${drop.torn.offset}`
    : '';
  const open =
    drop.openHandles > 0
      ? `; ${drop.openHandles} file handle(s) were still open: a process outside the workers outlived the power loss`
      : '';
  return `dropped ${formatBytes(drop.bytesDropped)} not fsynced${files ? ` (${files})` : ''}, ${drop.filesDropped} file(s) vanished${torn}${open}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

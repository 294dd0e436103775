import { describe, expect, it } from 'vitest';
import { measureWorkerFloors, nodePeakRssKb } from './memory-floor.js';
import { memoryRows } from './memory.js';
import { fixtureFile } from './report-fixture.js';

describe('the memory rows of the report', () => {
  it('name the floors a worker cannot go below, when the run measured them', () => {
    const worker = memoryRows({
      ...fixtureFile,
      workerFloorsKb: { node: 40 * 1024, langgraphCheckpoint: 68 * 1024 },
    })[1];
    expect(worker?.what).toContain('Floors on this machine: a worker’s bare node 40.0 MB');
    expect(worker?.what).toContain('checkpoint library loaded (every saver worker loads it) 68.0 MB');
    // A file written before the floors were measured, or a floor that could not be measured, names none.
    expect(memoryRows(fixtureFile)[1]?.what).not.toContain('Floors');
    const partly = memoryRows({ ...fixtureFile, workerFloorsKb: { node: 40 * 1024, langgraphCheckpoint: null } })[1];
    expect(partly?.what).not.toContain('checkpoint library');
  });

  it.runIf(process.platform === 'linux')(
    'measures a fresh node process, and gives null for one that fails',
    async () => {
      const bare = await nodePeakRssKb([]);
      expect(bare).toBeGreaterThan(1024);
      expect(await nodePeakRssKb(['@langchain/langgraph-checkpoint'])).toBeGreaterThan(bare!);
      expect(await nodePeakRssKb(['no-such-module-anywhere'])).toBeNull();
      // The bundle the workers load, from the build the test run made.
      const floors = await measureWorkerFloors();
      expect(floors.langgraphCheckpoint).toBeGreaterThan(floors.node!);
    },
  );
});

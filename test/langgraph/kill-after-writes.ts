// Loaded with `node --import` before examples/langgraph-agent.ts: once the agent has printed the line in
// KILL_AFTER_WRITES_OF, the next task writes the saver commits are those of the node that printed it, and the process
// kills itself with SIGKILL right after them, before LangGraph puts the checkpoint of that node's step. A kill sent
// from outside lands in this moment only by chance (on a busy machine); here it lands there every time.
import { writeSync } from 'node:fs';
import { AgentosSaver } from '../../src/langgraph/saver.js';

const line = process.env.KILL_AFTER_WRITES_OF;
if (line) {
  let armed = false;
  const log = console.log.bind(console);
  console.log = (...args: unknown[]) => {
    log(...args);
    if (args[0] === line) armed = true;
  };
  const { putWrites } = Object.getOwnPropertyDescriptors(AgentosSaver.prototype);
  const save: AgentosSaver['putWrites'] = putWrites.value!;
  AgentosSaver.prototype.putWrites = async function (this: AgentosSaver, ...args: Parameters<typeof save>) {
    await save.apply(this, args);
    if (!armed) return;
    writeSync(2, `killed after the writes of the node that printed "${line}"\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}

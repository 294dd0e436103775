// `pnpm bench:gate`: the CI benchmark gate (harness/compare/gate.ts).
import { gateProgram } from '../harness/compare/gate.js';

process.exit(
  gateProgram(process.argv.slice(2), 'pnpm bench:gate', {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }),
);

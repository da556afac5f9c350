// The `cloakroom` executable's entry (bin/cloakroom.js runs the bundle of it, or the compiled file). No
// top-level await: the bundle is a CommonJS script (scripts/bundle.mjs, decision 0275).
import { processIo } from "./io.js";
import { runCli } from "./program.js";

void runCli(process.argv.slice(2), processIo()).then((code) => {
  // exitCode, not exit(): `serve` and `logs --follow` keep running until their own handlers end them.
  process.exitCode = code;
});

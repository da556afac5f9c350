// The `cloakroom` executable's entry (bin/cloakroom.js imports the compiled file).
import { processIo } from "./io.js";
import { runCli } from "./program.js";

const code = await runCli(process.argv.slice(2), processIo());
// exitCode, not exit(): `serve` and `logs --follow` keep running until their own handlers end them.
process.exitCode = code;

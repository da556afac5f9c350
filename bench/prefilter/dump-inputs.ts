/**
 * Writes the inputs of `sampled-filter.c` (decision 0285): the prose and dense logs of
 * `redaction-shapes.bench.ts` at 10,000 random values, as latin1 bytes, and the redactor's searched
 * strings for those values, one a line (this set's values and forms hold no line break).
 *
 *   node dist/bench/prefilter/dump-inputs.js <directory>
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { collectPatterns } from "../../src/redaction/forms.js";
import { proseLog, SECRET_SETS, secretValues, tokenDenseLog } from "../redaction-shapes.js";

const dir = process.argv[2] ?? ".";
const MiB = 1 << 20;
const values = secretValues(SECRET_SETS[0]!, 10_000, 5);
const { patterns } = collectPatterns(values);
writeFileSync(path.join(dir, "prose.txt"), Buffer.from(proseLog(MiB, values, 42), "latin1"));
writeFileSync(path.join(dir, "dense.txt"), Buffer.from(tokenDenseLog(MiB, values, 42), "latin1"));
writeFileSync(path.join(dir, "patterns.txt"), `${patterns.join("\n")}\n`);
console.log(`${patterns.length} searched strings written to ${dir}`);

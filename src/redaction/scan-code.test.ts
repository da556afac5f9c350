/**
 * The scan's compiled code outlives the redactors it scanned for (decision 0390). V8 threw it away in two
 * ways, and each time the next long scan ran in the interpreter until the code was compiled again (2 to
 * 8 times the steady time of a first scan after a build):
 * - when the last matcher died, its hidden classes went with it and so did the code that checked them
 *   ("weak objects"): the warm-up's matcher is now kept;
 * - a short pattern found across a block's start is read from the string, a branch no warm-up scan took,
 *   so the compiled `shortHits` had no feedback there ("Insufficient type feedback for call"): the warm-up
 *   now scans a text of three blocks with such a pattern.
 * Each is checked in a fresh process, with optimization made synchronous so the outcome does not depend
 * on the timing of V8's compiler thread.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";

const index = new URL("./index.js", import.meta.url).href;
const SCAN_FUNCTIONS = /\b(shortHits|mainHits|sample|candidate)\b/;

/**
 * A redactor of PINs and tokens scans a log of 1 MiB (the scan's warm-up runs) and is dropped, and the
 * heap collected. Then another one's scan code is compiled on one-block texts, and it scans the log.
 */
const script = `
const { createRedactor } = await import(${JSON.stringify(index)});
let seed = 11;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pick = (alphabet, n) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
const values = (count) => Array.from({ length: count }, (_, i) =>
  i % 4 === 0 ? pick("0123456789", 4 + (i % 3)) : pick("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-", 12 + (i % 30)));
const line = (i) => '{"level":"info","req":' + i + ',"took":"' + (i % 997) + 'ms","pin":"' + pick("0123456789", 5) + '"}\\n';
let text = "";
for (let i = 0; text.length < 1 << 20; i++) text += line(i);
createRedactor(values(2000)).redact(text);
globalThis.gc();
console.log("-- collected");
const redactor = createRedactor(values(2000));
const short = text.slice(0, 8000);
for (let i = 0; i < 400; i++) redactor.redact(short);
console.log("-- long scan");
redactor.redact(text);
console.log("-- done");
`;

/**
 * What V8 printed about the scan's optimized code being thrown away while a fresh process ran the script:
 * up to the collection, and in the long scan.
 */
function trace(): { collected: string[]; longScan: string[] } {
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "--trace-deopt", "--no-concurrent-recompilation", "--input-type=module", "-e", script],
    { encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 },
  );
  const lines = out.split("\n");
  const at = (marker: string) => lines.indexOf(marker);
  assert.ok(at("-- done") > 0, "the script ran to its end");
  const scanLines = (from: number, to: number) =>
    lines.slice(from, to).filter((l) => /deoptimiz/.test(l) && SCAN_FUNCTIONS.test(l));
  return {
    collected: scanLines(0, at("-- collected")),
    longScan: scanLines(at("-- long scan"), at("-- done")),
  };
}

describe("the scan's compiled code", () => {
  it("is kept when every redactor is gone, and needs no new feedback for a pattern across a block's start", () => {
    const { collected, longScan } = trace();
    assert.deepEqual(collected, [], "thrown away when the last redactor was collected");
    assert.deepEqual(longScan, [], "thrown away in the first long scan");
  });
});

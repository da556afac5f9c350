/**
 * The WebAssembly scan's memory (decision 0375): made once at its largest, never grown, so no scan
 * detaches an `ArrayBuffer`, which would deoptimize every function of the process that reads typed
 * arrays and leave them compiled with checks for detachment from then on.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";

const index = new URL("./index.js", import.meta.url).href;

/** Builds redactors of growing sizes and scans a text long enough for the WebAssembly loop, in a fresh process. */
const script = `
const { createRedactor } = await import(${JSON.stringify(index)});
let seed = 7;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const token = (n) => Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-"[Math.floor(random() * 48)]).join("");
const words = Array.from({ length: 40000 }, () => token(5 + Math.floor(random() * 9)));
for (const count of [10, 300, 3000, 12000]) {
  const values = Array.from({ length: count }, () => token(12 + Math.floor(random() * 30)));
  const text = words.join(" ") + " " + values[count - 1] + " end";
  const out = createRedactor(values).redact(text);
  if (!out.endsWith("[[SENSITIVE]] end")) throw new Error("not redacted at " + count);
}
console.log("scanned");
`;

describe("the WebAssembly scan's memory", () => {
  it("scans matchers of every size without detaching a buffer", () => {
    const out = execFileSync(
      process.execPath,
      ["--trace-protector-invalidation", "--input-type=module", "-e", script],
      { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] },
    );
    assert.match(out, /scanned/);
    assert.doesNotMatch(out, /ArrayBufferDetaching/);
  });
});

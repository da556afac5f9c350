/**
 * The WebAssembly scan's memory (decision 0375): made once at its largest, never grown, so no scan
 * detaches an `ArrayBuffer`, which would deoptimize every function of the process that reads typed
 * arrays and leave them compiled with checks for detachment from then on.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { createRedactor } from "./index.js";
import { tableCopies, tablesOwner, tablesPlaced, tablesTouched } from "./scan-wasm.js";

const index = new URL("./index.js", import.meta.url).href;

/** Builds redactors of the given sizes and scans a text long enough for the WebAssembly loop with each. */
const script = (sizes: number[]) => `
const { createRedactor } = await import(${JSON.stringify(index)});
let seed = 7;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const token = (n) => Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-"[Math.floor(random() * 48)]).join("");
const words = Array.from({ length: 40000 }, () => token(5 + Math.floor(random() * 9)));
for (const count of ${JSON.stringify(sizes)}) {
  const values = Array.from({ length: count }, () => token(12 + Math.floor(random() * 30)));
  const text = words.join(" ") + " " + values[count - 1] + " end";
  const out = createRedactor(values).redact(text);
  if (!out.endsWith("[[SENSITIVE]] end")) throw new Error("not redacted at " + count);
}
console.log("scanned");
`;

/** What V8 says about its protectors in a fresh process that runs `script(sizes)`. */
function invalidations(sizes: number[]): string[] {
  const out = execFileSync(
    process.execPath,
    ["--trace-protector-invalidation", "--input-type=module", "-e", script(sizes)],
    { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] },
  );
  assert.match(out, /scanned/);
  return out.split("\n").filter((line) => line.includes("ArrayBufferDetaching"));
}

describe("the WebAssembly scan's memory", () => {
  it("scans matchers of every size without detaching a buffer", () => {
    // A runtime that detaches one on its own (none of Node 20's does) would show it with a small matcher too.
    const alone = invalidations([10]);
    assert.deepEqual(invalidations([10, 300, 3000, 12000]), alone);
  });
});

describe("which loop scans", () => {
  let seed = 3;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const token = (n: number) =>
    Array.from(
      { length: n },
      () => "abcdefghijklmnopqrstuvwxyzABCDEFGH0123456789"[Math.floor(random() * 44)],
    ).join("");
  const values = (count: number) =>
    Array.from({ length: count }, () => token(12 + Math.floor(random() * 30)));
  /** A text long enough (about 527 Ki characters) to pay for copying any of these tables at once. */
  const longText = () => Array.from({ length: 60_000 }, () => token(8)).join(" ");

  it("moves a matcher that scans only short texts to WebAssembly once they add up (decision 0400)", () => {
    // The run log's entries are 64 KiB at most: each alone is too short to pay for copying the tables.
    const first = createRedactor(values(3000));
    const long = longText();
    first.redact(long);
    const firstTables = tablesOwner();
    assert.notEqual(firstTables, 0, "a long text has the tables copied");

    const secrets = values(3000);
    const entries = createRedactor(secrets);
    const note = token(4000);
    const entry = (i: number, key: string) => `{"n":${i},"note":"${note}","key":"${key}"}`;
    assert.equal(entries.redact(entry(0, secrets[0]!)), entry(0, "[[SENSITIVE]]"));
    assert.equal(tablesOwner(), firstTables, "one entry is too short to pay for the copy");
    let scanned = 1;
    while (tablesOwner() === firstTables && scanned < 2000) {
      const i = scanned++;
      assert.equal(entries.redact(entry(i, secrets[i % secrets.length]!)), entry(i, "[[SENSITIVE]]"));
    }
    assert.notEqual(tablesOwner(), firstTables, `still in JavaScript after ${scanned} entries of 4 KiB`);
  });

  it("keeps the tables of redactors that take turns, and copies neither again (decision 0405)", () => {
    // Two organizations' runs interleaved: each entry is redacted by the other's redactor than the last.
    const secretsA = values(2000);
    const secretsB = values(2000);
    const [a, b] = [createRedactor(secretsA), createRedactor(secretsB)];
    const long = longText();
    a.redact(long);
    const ownerA = tablesOwner();
    b.redact(long);
    const ownerB = tablesOwner();
    assert.notEqual(ownerA, ownerB);
    const copies = tableCopies();
    const note = token(2000);
    for (let i = 0; i < 200; i++) {
      const [redactor, secrets, owner] = i % 2 === 0 ? [a, secretsA, ownerA] : [b, secretsB, ownerB];
      const text = `{"note":"${note}","key":"${secrets[i]}"}`;
      assert.equal(redactor.redact(text), `{"note":"${note}","key":"[[SENSITIVE]]"}`);
      assert.equal(tablesOwner(), owner, `entry ${i} was not scanned with its own tables`);
    }
    assert.equal(tableCopies(), copies, "tables were copied again");
  });

  it("puts a rebuilt redactor's tables where its predecessor's were, not on fresh pages (decision 0405)", () => {
    // Each change to an organization's secrets makes a new redactor; the one before it is done with.
    const long = longText();
    const touched: number[] = [];
    for (let i = 0; i < 6; i++) {
      const secrets = values(3000);
      const redactor = createRedactor(secrets);
      assert.ok(redactor.redact(`${long} ${secrets[i]}`).endsWith(" [[SENSITIVE]]"));
      touched.push(tablesTouched());
    }
    assert.ok(touched[0]! > 0, "the tables were copied in");
    // The second keeps the first's (it scanned last) beside its own; from then on the room is reused.
    assert.deepEqual(touched.slice(2), Array(4).fill(touched[1]), touched.join(", "));
  });

  it("keeps the tables of at most 256 matchers, however small", () => {
    // Two large redactors write a room in which a thousand small sets' tables would fit.
    const long = longText();
    createRedactor(values(3000)).redact(long);
    createRedactor(values(3000)).redact(long);
    for (let i = 0; i < 600; i++) {
      const secrets = values(5);
      assert.equal(
        createRedactor(secrets)
          .redact(`${"x".repeat(400)} ${secrets[0]}`)
          .slice(-13),
        "[[SENSITIVE]]",
      );
      assert.ok(tablesPlaced() <= 256, `${tablesPlaced()} kept after ${i + 1} small redactors`);
    }
  });
});

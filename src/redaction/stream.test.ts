import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createRedactor, type Redactor, SENSITIVE } from "./index.js";

/** Writes the chunks one by one (the stream may emit between them) and joins what comes out. */
async function throughStream(redactor: Redactor, chunks: (string | Buffer)[]): Promise<string> {
  const stream = redactor.createStream();
  const out: string[] = [];
  stream.on("data", (piece: unknown) => {
    assert.equal(typeof piece, "string");
    out.push(piece as string);
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await done;
  return out.join("");
}

/** Cuts a list of pieces at the given (sorted, deduplicated) offsets. */
function cut<T extends { length: number; subarray?: unknown; slice(a: number, b?: number): T }>(
  whole: T,
  at: number[],
): T[] {
  const points = [...new Set(at.map((x) => x % (whole.length + 1)))].sort((a, b) => a - b);
  const pieces: T[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(whole.slice(from, p));
    from = p;
  }
  pieces.push(whole.slice(from));
  return pieces;
}

const values = ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "pässwörd-☕-😀x", "wxyz", "ab😀cd"];
const units = [
  ...'ab xyzé☕😀\n"\\',
  "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
  "pässwörd-☕-😀x",
  "wxyz",
  "ab😀cd",
];
const b64 = Buffer.from("user:pässwörd-☕-😀x").toString("base64");

const text = fc
  .array(fc.oneof(fc.constantFrom(...units), fc.constantFrom(b64, encodeURIComponent(values[1]!))), {
    maxLength: 40,
  })
  .map((p) => p.join(""));

describe("redacting stream (SPEC I5)", () => {
  it("a value split across chunks is still redacted", async () => {
    const redactor = createRedactor([values[0]!]);
    const out = await throughStream(redactor, ["token=sk_live_4eC39", "HqLyjWDarj", "tT1zdp7dc;"]);
    assert.equal(out, `token=${SENSITIVE};`);
  });

  it("a multi-byte character split between Buffer chunks survives, and its value is redacted", async () => {
    const redactor = createRedactor(["pässwörd"]);
    const bytes = Buffer.from("é pässwörd ☕😀");
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    assert.equal(await throughStream(redactor, chunks), `é ${SENSITIVE} ☕😀`);
  });

  it("a surrogate pair split between string chunks is never emitted in halves", async () => {
    const redactor = createRedactor(["zzzzzzzz"]);
    const stream = redactor.createStream();
    const pieces: string[] = [];
    stream.on("data", (p: string) => pieces.push(p));
    stream.write("a😀".slice(0, 2));
    stream.write("😀".slice(1) + "b");
    stream.end();
    await new Promise((resolve) => stream.on("end", resolve));
    for (const p of pieces) assert.ok(!/[\ud800-\udbff]$/.test(p), JSON.stringify(p));
    assert.equal(pieces.join(""), "a😀b");
  });

  it("text that cannot start a match is emitted at once, only a possible match's start is held back", async () => {
    const redactor = createRedactor(["sk_live_4eC39HqLyjWDarjtT1zdp7dc"]);
    const stream = redactor.createStream();
    const seen: string[] = [];
    stream.on("data", (p: string) => seen.push(p));
    stream.write("hello world ");
    await new Promise((r) => setImmediate(r));
    assert.equal(seen.join(""), "hello world ");
    stream.write("key sk_live_4eC");
    await new Promise((r) => setImmediate(r));
    assert.equal(seen.join(""), "hello world key ");
    stream.write("X");
    await new Promise((r) => setImmediate(r));
    assert.equal(seen.join(""), "hello world key sk_live_4eCX");
    stream.end();
  });

  it("a complete base64 core is held back while its padding may still follow", async () => {
    // base64("abcdefg") = "YWJjZGVmZw==": core "YWJjZGVmZ", then "w" and the padding.
    const redactor = createRedactor(["abcdefg"]);
    const stream = redactor.createStream();
    const seen: string[] = [];
    stream.on("data", (p: string) => seen.push(p));
    stream.write("x YWJjZGVmZw=");
    await new Promise((r) => setImmediate(r));
    assert.equal(seen.join(""), "x ");
    stream.write("= y");
    stream.end();
    await new Promise((r) => stream.on("end", r));
    assert.equal(seen.join(""), `x ${SENSITIVE} y`);
  });

  it("a marker emitted for one chunk absorbs an adjacent match completed in the next", async () => {
    const redactor = createRedactor(["abcdefgh", "ijklmnop"]);
    assert.equal(await throughStream(redactor, ["xabcdefgh", "ijklmnop", "y"]), `x${SENSITIVE}y`);
    assert.equal(await throughStream(redactor, ["xabcdefghijk", "lmnop", "y"]), `x${SENSITIVE}y`);
  });

  it("joined output equals redact of the joined input for random Buffer chunkings", async () => {
    const redactor = createRedactor(values);
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 12 }), async (t, at) => {
        const chunks = cut(Buffer.from(t), at);
        assert.equal(await throughStream(redactor, chunks), redactor.redact(t));
      }),
      { numRuns: 200 },
    );
  });

  it("joined output equals redact of the joined input for random string chunkings", async () => {
    const redactor = createRedactor(values);
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 12 }), async (t, at) => {
        assert.equal(await throughStream(redactor, cut(t, at)), redactor.redact(t));
      }),
      { numRuns: 200 },
    );
  });

  it("joined output equals redact of the joined input for mixed string and Buffer chunks", async () => {
    const redactor = createRedactor(values);
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 12 }), async (t, at) => {
        // Cuts fall between code points here: a Buffer cannot carry half of a surrogate pair.
        const points = [...t].map((_, i, all) => all.slice(0, i).join("").length);
        const pieces = cut(
          t,
          at.map(([x]) => points[x % points.length] ?? 0),
        );
        const chunks = pieces.map((p, i) => (at[i]?.[1] ? Buffer.from(p) : p));
        assert.equal(await throughStream(redactor, chunks), redactor.redact(t));
      }),
      { numRuns: 200 },
    );
  });

  it("a small-alphabet text streamed one unit at a time equals whole-text redaction", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: fc.constantFrom("a", "b"), minLength: 4, maxLength: 7 }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 60 }),
        async (vals, t) => {
          const redactor = createRedactor(vals);
          assert.equal(await throughStream(redactor, t.split("")), redactor.redact(t));
        },
      ),
      { numRuns: 200 },
    );
  });
});

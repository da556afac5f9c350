/**
 * What a redactor keeps (decision 0355): one lives for every scope a run has redacted, so a small set's
 * redactor must not hold the tables only a large set's rebuild uses (three gram counts, 384 KiB).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { base64ScratchOfThread } from "./forms.js";
import { createRedactor } from "./index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * The bytes of live ArrayBuffers after collecting: freed buffers are released by a sweeper running beside
 * the collector, late on a busy machine, so the least of a few readings a few ms apart.
 */
async function liveArrayBuffers(): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 15));
    least = Math.min(least, process.memoryUsage().arrayBuffers);
  }
  return least;
}

describe("a redactor's memory", () => {
  it("keeps under 200 KiB of tables for ten values", async () => {
    const before = await liveArrayBuffers();
    const kept = Array.from({ length: 50 }, (_, i) =>
      createRedactor(Array.from({ length: 10 }, (_, j) => `value-${i}-${j}-abcdefgh`)),
    );
    const each = ((await liveArrayBuffers()) - before) / kept.length / 1024;
    assert.ok(each < 200, `${each.toFixed(0)} KiB a redactor`);
    assert.equal(kept[0]!.redact("x value-0-1-abcdefgh y"), "x [[SENSITIVE]] y");
  });

  it("keeps nothing of the redactor it was rebuilt from", async () => {
    // The runner passes the redactor it built last, whatever its scope: often a larger one, which may
    // then go while the new one stays.
    const larger = (i: number) =>
      createRedactor(Array.from({ length: 400 }, (_, j) => `larger-${i}-${j}-${"x".repeat(j % 40)}`));
    const small = (i: number) => Array.from({ length: 10 }, (_, j) => `value-${i}-${j}-abcdefgh`);
    const before = await liveArrayBuffers();
    const kept = Array.from({ length: 8 }, (_, i) => createRedactor(small(i), larger(i)));
    const each = ((await liveArrayBuffers()) - before) / kept.length / 1024;
    assert.ok(each < 200, `${each.toFixed(0)} KiB a redactor`);
    assert.equal(kept[3]!.redact("x value-3-1-abcdefgh y"), "x [[SENSITIVE]] y");
  });

  it("leaves none of a build's values in the buffers builds share", () => {
    // One base64 scratch serves every build of the thread (decision 0380); it outlives them.
    const value = "gone-after-the-build-é€";
    createRedactor([value, `${value}-${"x".repeat(5000)}`]);
    const scratch = base64ScratchOfThread();
    assert.ok(scratch, "the build made it");
    for (const buffer of [scratch.buffer, scratch.digits]) {
      assert.ok(
        buffer.every((byte) => byte === 0),
        "a value's bytes or base64 digits were left",
      );
    }
  });
});

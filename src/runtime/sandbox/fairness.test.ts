import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSandboxPool, type SandboxPool, type SandboxResult } from "./index.js";

const SPIN = "export default function process() { for (;;) {} }";
const TRIVIAL = "export default function process({ event }) { return event.n + 1 }";
const SPIN_MS = 3000;

describe("sandbox threads shared between organizations", () => {
  let pool: SandboxPool;
  before(async () => {
    pool = createSandboxPool({ size: 2 });
    // Start the threads before timing anything.
    await Promise.all(
      Array.from({ length: 3 }, (_, n) => pool.runFunction({ code: TRIVIAL, event: { n }, secrets: {} })),
    );
  });
  after(async () => {
    await pool.close();
  });

  const spin = (tenant: string) =>
    pool.runFunction({ code: SPIN, event: {}, secrets: {}, timeoutMs: SPIN_MS, tenant });

  test("org A's trivial run ends before any of org B's spinning runs, though B took every thread first", async () => {
    const order: string[] = [];
    const b = Array.from({ length: 4 }, (_, i) =>
      spin("org-b").then((r) => {
        order.push(`b${i}`);
        return r;
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const a = await pool.runFunction({ code: TRIVIAL, event: { n: 1 }, secrets: {}, tenant: "org-a" });
    order.push("a");
    assert.equal(a.ok && a.output, 2);
    assert.deepEqual(order, ["a"], "none of B's runs had ended when A's did");
    const results: SandboxResult[] = await Promise.all(b);
    for (const r of results) assert.equal(!r.ok && r.error.code, "timeout");
  });

  test("an organization alone runs on every one of its threads at once, and no more", async () => {
    const started = performance.now();
    const ends: number[] = [];
    await Promise.all(
      Array.from({ length: 3 }, () => spin("org-b").then(() => ends.push(performance.now() - started))),
    );
    ends.sort((x, y) => x - y);
    // Two spin side by side and end together, one timeout in; the third waits for one of them: the
    // thread kept for other organizations is not used by B alone.
    assert.ok(ends[1]! < 2 * SPIN_MS, `the second run ended after ${ends[1]} ms`);
    assert.ok(ends[2]! >= 2 * SPIN_MS - 200, `the third run ended after ${ends[2]} ms`);
  });
});

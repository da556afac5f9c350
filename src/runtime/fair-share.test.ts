import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createFairQueue } from "./fair-share.js";

/** Starts everything allowed; returns the tenants started, in order. */
function startAll<T>(q: ReturnType<typeof createFairQueue<T>>): string[] {
  const started: string[] = [];
  for (let n = q.next(); n; n = q.next()) started.push(n.tenant);
  return started;
}

describe("fair share of slots", () => {
  test("a tenant alone gets its whole share and not the reserve", () => {
    const q = createFairQueue<number>({ perTenant: 4, reserve: 2 });
    for (let i = 0; i < 10; i++) q.push("b", i);
    assert.deepEqual(startAll(q), ["b", "b", "b", "b"]);
    assert.equal(q.busy, 4);
  });

  test("a second tenant starts at once while the first holds its whole share", () => {
    const q = createFairQueue<number>({ perTenant: 2, reserve: 1 });
    for (let i = 0; i < 10; i++) q.push("b", i);
    startAll(q);
    q.push("a", 0);
    q.push("a", 1);
    assert.deepEqual(startAll(q), ["a"]);
  });

  test("a freed slot goes to the waiting tenant holding the fewest", () => {
    const q = createFairQueue<number>({ perTenant: 2, reserve: 1 });
    for (let i = 0; i < 10; i++) q.push("b", i);
    startAll(q);
    q.push("a", 0);
    startAll(q);
    q.push("c", 0);
    q.push("a", 1);
    assert.deepEqual(startAll(q), []);
    q.release("b");
    assert.deepEqual(startAll(q), ["c"]);
  });

  test("slots never exceed share plus reserve, nor one tenant's share; a slot never idles while a tenant under its share waits", () => {
    const op = fc.oneof(
      fc.record({ push: fc.constantFrom("a", "b", "c", "d") }),
      fc.record({ release: fc.constantFrom("a", "b", "c", "d") }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(op),
        (per, reserve, ops) => {
          const q = createFairQueue<number>({ perTenant: per, reserve });
          const held = new Map<string, number>();
          const waiting = new Map<string, number>();
          for (const o of ops) {
            if ("push" in o) {
              q.push(o.push, 0);
              waiting.set(o.push, (waiting.get(o.push) ?? 0) + 1);
            } else if ((held.get(o.release) ?? 0) > 0) {
              q.release(o.release);
              held.set(o.release, held.get(o.release)! - 1);
            }
            for (const t of startAll(q)) {
              held.set(t, (held.get(t) ?? 0) + 1);
              waiting.set(t, waiting.get(t)! - 1);
            }
            const busy = [...held.values()].reduce((x, y) => x + y, 0);
            assert.equal(q.busy, busy);
            assert.ok(busy <= per + reserve);
            for (const n of held.values()) assert.ok(n <= per);
            // Work-conserving within the share: below `per` busy slots, nobody under its share waits.
            if (busy < per) for (const [t, w] of waiting) assert.ok(w === 0 || held.get(t) === per);
          }
        },
      ),
    );
  });
});

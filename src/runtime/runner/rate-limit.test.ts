import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createOrgRateLimit } from "./rate-limit.js";

describe("per-organization run rate limit", () => {
  it("allows the per-minute budget at once, refills over the minute, and keeps organizations apart", () => {
    let now = 0;
    const limit = createOrgRateLimit(3, () => now);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limit.take("a")),
      [true, true, true, false],
    );
    assert.equal(limit.take("b"), true);
    now += 20_000;
    assert.equal(limit.take("a"), true);
    assert.equal(limit.take("a"), false);
  });

  it("0 means no limit", () => {
    const limit = createOrgRateLimit(0);
    for (let i = 0; i < 1000; i++) assert.equal(limit.take("a"), true);
  });
});

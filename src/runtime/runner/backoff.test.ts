import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseRetryAfter, retryDelayMs } from "./backoff.js";

const policy = { baseMs: 1000, maxMs: 60_000 };

test("retry delays grow exponentially from the base delay", () => {
  const mid = () => 0.5;
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt, { random: mid })),
    [1000, 2000, 4000, 8000, 16000],
  );
});

test("a retry delay stays within ±20% of its exponential value and never exceeds the maximum", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100 }),
      fc.double({ min: 0, max: 0.999999, noNaN: true }),
      (attempt, r) => {
        const delay = retryDelayMs(policy, attempt, { random: () => r });
        const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
        assert.ok(delay <= policy.maxMs);
        assert.ok(
          delay >= Math.floor(exponential * 0.8) &&
            delay <= Math.ceil(Math.min(exponential * 1.2, policy.maxMs)),
        );
      },
    ),
  );
});

test("a target's Retry-After lengthens the wait but never past the maximum", () => {
  const mid = () => 0.5;
  assert.equal(retryDelayMs(policy, 1, { retryAfterMs: 5000, random: mid }), 5000);
  assert.equal(retryDelayMs(policy, 1, { retryAfterMs: 10, random: mid }), 1000);
  assert.equal(retryDelayMs(policy, 1, { retryAfterMs: 10 * 60_000, random: mid }), 60_000);
});

test("Retry-After is read as seconds or as an HTTP date", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  const now = Date.parse("2025-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now), 10_000);
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});

/**
 * The build's warm-up (decision 0355): made-up values of every shape, built a turn of the event loop at
 * a time after a delay, stoppable, never holding the process open.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { collectPatterns } from "./forms.js";
import { isLayered } from "./redactor.js";
import { chainStep, startBuildWarmUp, type WarmUpChain, warmUpValues } from "./warm-up.js";

describe("the redactor build's warm-up", () => {
  it("builds from made-up values that reach the forms a build differs on", () => {
    const values = warmUpValues(0);
    assert.deepEqual(warmUpValues(0), values, "the same values for the same round");
    assert.notDeepEqual(warmUpValues(1), values);
    // Escaped, percent-encoded and non-ASCII forms: each needs a value that has them.
    assert.ok(values.some((v) => /[^\x00-\x7f]/.test(v)));
    assert.ok(values.some((v) => /["\\]/.test(v)));
    assert.ok(values.some((v) => v.startsWith("https://")));
    const table = collectPatterns(values);
    assert.ok(table.patterns.length > values.length * 5, `${table.patterns.length} searched strings`);
  });

  it("ends with a chain of layered rebuilds, so their code is compiled too", () => {
    const chain: WarmUpChain = { values: [] };
    assert.equal(isLayered(chainStep(chain, 0)), false, "the chain's first build is a full one");
    for (let step = 1; step < 8; step++) assert.ok(isLayered(chainStep(chain, step)), `step ${step}`);
  });

  it("runs after its delay, one build a turn, and says when it is done", async () => {
    const started = performance.now();
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    await new Promise<void>((resolve) => startBuildWarmUp({ delayMs: 30, onDone: resolve }));
    clearInterval(ticking);
    assert.ok(performance.now() - started >= 30);
    // Other callbacks ran between the builds: the warm-up never held the loop for all of them.
    assert.ok(turns >= 10, `${turns} turns of the event loop while it ran`);
  });

  it("does not keep the process alive", () => {
    const module = new URL(import.meta.url.replace(/\.test\.([jt]s)$/, ".$1"));
    const started = performance.now();
    execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        "--input-type=module",
        "-e",
        `(await import(${JSON.stringify(module.href)})).startBuildWarmUp({ delayMs: 60000 })`,
      ],
      { timeout: 20_000 },
    );
    assert.ok(performance.now() - started < 15_000);
  });

  it("stops when asked", async () => {
    let done = false;
    const stop = startBuildWarmUp({ delayMs: 0, onDone: () => (done = true) });
    await new Promise((resolve) => setImmediate(resolve));
    stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(done, false);
  });
});

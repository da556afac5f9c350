#!/usr/bin/env node
/**
 * The sandbox engine of two built checkouts in one process, paired: rounds of N runs of each job,
 * alternating which side goes first, and the median of the per-round ratios new/old.
 *
 *   node bench/sandbox-compare.mjs OLD_DIR NEW_DIR [ROUNDS]      (ONLY=empty|expr1|trivial, N=runs a round)
 */
import { resolve } from "node:path";

const [oldDir, newDir, roundsArg] = process.argv.slice(2);
const { createSandboxEngine: oldEngine } = await import(
  `${resolve(oldDir)}/dist/src/runtime/sandbox/engine.js`
);
const { createSandboxEngine: newEngine } = await import(
  `${resolve(newDir)}/dist/src/runtime/sandbox/engine.js`
);
const TRIVIAL = "export default function process({ event }) { return { ok: event.n + 1 } }";
const base = { timeoutMs: 1000, memoryMb: 64 };
const jobs = {
  empty: { kind: "empty", ...base },
  expr1: { kind: "expression", expression: "1", contextJson: "{}", ...base },
  trivial: {
    kind: "function",
    code: TRIVIAL,
    inputJson: '{"event":{"n":1},"secrets":{"API_KEY":"k"}}',
    ...base,
  },
};
const engines = { old: await oldEngine(), new: await newEngine() };
for (const e of Object.values(engines))
  for (const j of Object.values(jobs)) for (let i = 0; i < 50; i++) await e.run(j);
const ROUNDS = Number(roundsArg ?? 9),
  N = Number(process.env.N ?? 200);
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
for (const [name, job] of Object.entries(jobs).filter(([n]) => !process.env.ONLY || n === process.env.ONLY)) {
  const t = { old: [], new: [] },
    ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? ["new", "old"] : ["old", "new"];
    for (const side of order) {
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await engines[side].run(job);
      t[side].push(((performance.now() - t0) / N) * 1000);
    }
    ratios.push(t.new.at(-1) / t.old.at(-1));
  }
  console.log(
    `${name}: old ${med(t.old).toFixed(0)} µs, new ${med(t.new).toFixed(0)} µs, new/old median of pairs ${med(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`,
  );
}
process.exit(0);

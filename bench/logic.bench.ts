/**
 * Logic-function throughput through the sandbox pool (SPEC X3), against the cheapest possible run through
 * the same path: a fresh QuickJS runtime and context that evaluate nothing. Also times the engine in-process
 * (no worker, no messaging) to split the cost of one run.
 *
 *   npx tsx bench/logic.bench.ts
 *
 * Ratios are measured within one run (the machine is shared; absolute figures are noisy).
 */
import { availableParallelism } from "node:os";
import { createSandboxEngine } from "../src/runtime/sandbox/engine.js";
import { createSandboxPool } from "../src/runtime/sandbox/pool.js";
import type { SandboxResult, WorkerJob } from "../src/runtime/sandbox/types.js";

const TRIVIAL = "export default function process({ event }) { return { ok: event.n + 1 } }";
const CONCURRENCY = [2, 4, 8];
const ROUNDS = 3;
const RUNS_PER_ROUND = 300;

interface Sample {
  ratePerSecond: number;
  latencies: number[];
}

async function measure(
  concurrency: number,
  total: number,
  runOne: (n: number) => Promise<SandboxResult>,
): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < total) {
      const n = next++;
      const t0 = performance.now();
      const result = await runOne(n);
      latencies.push(performance.now() - t0);
      if (!result.ok) throw new Error(`run failed: ${result.error.code} ${result.error.message}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { ratePerSecond: total / ((performance.now() - started) / 1000), latencies };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(9);

async function poolTable(): Promise<void> {
  const pool = createSandboxPool();
  try {
    // Workers start and warm up on first use; keep that out of the figures.
    await Promise.all(Array.from({ length: 8 }, () => pool.runEmpty()));

    console.log(
      `\nThrough the pool (${Math.min(2, availableParallelism())} workers), ${ROUNDS} rounds x ${RUNS_PER_ROUND} runs, median round:`,
    );
    console.log(
      ["concurrency", "empty/s", "trivial/s", "ratio", "empty p50", "trivial p50", "trivial p95"]
        .map((h) => h.padStart(11))
        .join(""),
    );
    for (const concurrency of CONCURRENCY) {
      const empty: Sample[] = [];
      const trivial: Sample[] = [];
      // Alternate the two so that load from elsewhere on the machine hits both alike.
      for (let round = 0; round < ROUNDS; round++) {
        empty.push(await measure(concurrency, RUNS_PER_ROUND, () => pool.runEmpty()));
        trivial.push(
          await measure(concurrency, RUNS_PER_ROUND, (n) =>
            pool.runFunction({ code: TRIVIAL, event: { n }, secrets: { API_KEY: "k" } }),
          ),
        );
      }
      const emptyRate = median(empty.map((s) => s.ratePerSecond));
      const trivialRate = median(trivial.map((s) => s.ratePerSecond));
      console.log(
        [
          fmt(concurrency),
          fmt(emptyRate),
          fmt(trivialRate),
          fmt(emptyRate / trivialRate, 2),
          fmt(median(empty.flatMap((s) => s.latencies)), 2),
          fmt(median(trivial.flatMap((s) => s.latencies)), 2),
          fmt(
            percentile(
              trivial.flatMap((s) => s.latencies),
              95,
            ),
            2,
          ),
        ]
          .map((c) => c.padStart(11))
          .join(""),
      );
    }
    console.log(
      "ratio = empty runs/s over trivial runs/s: how much a trivial function costs beyond an empty context",
    );
  } finally {
    await pool.close();
  }
}

async function engineTable(): Promise<void> {
  const engine = await createSandboxEngine();
  const base = { timeoutMs: 1000, memoryMb: 64 };
  const jobs: [string, WorkerJob][] = [
    ["empty runtime+context", { kind: "empty", ...base }],
    ["+ prelude, expression `1`", { kind: "expression", expression: "1", contextJson: "{}", ...base }],
    [
      "+ template expression",
      {
        kind: "expression",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the expression is sandbox source text
        expression: "`Bearer ${secrets.API_KEY}`",
        contextJson: '{"secrets":{"API_KEY":"k"}}',
        ...base,
      },
    ],
    [
      "trivial function",
      { kind: "function", code: TRIVIAL, inputJson: '{"event":{"n":1},"secrets":{"API_KEY":"k"}}', ...base },
    ],
    ["syntax check", { kind: "syntax", code: TRIVIAL, ...base }],
  ];
  for (const [, job] of jobs) for (let i = 0; i < 50; i++) await engine.run(job);

  const iterations = 400;
  const perRun = new Map<string, number>();
  for (const [name, job] of jobs) {
    const rounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      for (let i = 0; i < iterations; i++) await engine.run(job);
      rounds.push((performance.now() - t0) / iterations);
    }
    perRun.set(name, median(rounds));
  }
  const baseline = perRun.get("empty runtime+context")!;
  console.log(
    `\nIn-process engine (no worker, no messages), ${ROUNDS} rounds x ${iterations} runs, median round:`,
  );
  console.log(`${"job".padEnd(28)}${"µs/run".padStart(10)}${"x empty".padStart(10)}`);
  for (const [name, us] of perRun) {
    console.log(`${name.padEnd(28)}${fmt(us * 1000).padStart(10)}${fmt(us / baseline, 2).padStart(10)}`);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  await engineTable();
  await poolTable();
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();

/**
 * What one sandbox call for a flow's early batch costs (decision 0310), in the pattern a flow run makes:
 * the call, then three HTTP requests to a local sink, again and again. Two sides, interleaved in blocks:
 *
 *   fresh  every call names another organization, so no kept context matches: a fresh lean context per
 *          call, freed after it (what every call did before 0310)
 *   kept   every call names the same organization and sources: the context kept for them
 *
 * Reported: the call's round trip (mean, median, p90) and, per iteration (call + 3 requests), wall and
 * process CPU time, with the kept : fresh ratios. Then the floor under any call, the thread hop itself:
 * a bare echo worker's round trip and what `postMessage` costs the sender, with the worker awake (posted
 * again at once) and after it has slept 2 ms (as between a flow's runs).
 *
 *   npx tsx bench/expression-call.bench.ts      (or npm run bench -- expression-call)
 */
import { loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { request } from "undici";
import { createSandboxPool } from "../src/runtime/sandbox/index.js";
import { sandboxSource } from "../src/runtime/sandbox/simple.js";
import { startBenchSink } from "./support.js";

const BLOCKS = 10;
const PER_BLOCK = 200;

const { server, url } = await startBenchSink('{"ok":true}');
const pool = createSandboxPool({ size: 1 });
// The early batch of bench/flow.bench.ts's first shape: 3 steps of a header and a query expression.
// biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
const texts = ["`Bearer ${secrets.API_KEY}`", "event.data.id"];
const sources = [...texts, ...texts, ...texts].map(sandboxSource);
const scope = {
  event: { id: "e1", name: "order.created", data: { id: 42 } },
  steps: {},
  secrets: { API_KEY: "k_live_0123456789abcdef0123" },
};
let organizations = 0;

interface Block {
  wall: number;
  cpu: number;
  calls: number[];
}

async function block(kept: boolean): Promise<Block> {
  const calls: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < PER_BLOCK; i++) {
    const t = performance.now();
    const result = await pool.evalExpressions({
      sources,
      keepGoing: true,
      scope,
      lean: true,
      tenant: kept ? "org" : `org-${organizations++}`,
    });
    if (!result.ok) throw new Error(`the batch failed: ${result.error.code}`);
    calls.push(performance.now() - t);
    for (let k = 0; k < 3; k++) {
      const response = await request(`${url}/${k}`, { method: "POST", body: "{}" });
      await response.body.text();
    }
  }
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000, calls };
}

const sides = { fresh: [] as Block[], kept: [] as Block[] };
await block(false);
await block(true);
for (let b = 0; b < BLOCKS; b++) {
  for (const kept of b % 2 === 0 ? [false, true] : [true, false]) {
    sides[kept ? "kept" : "fresh"].push(await block(kept));
  }
}

const summary = (blocks: Block[]) => {
  const calls = blocks.flatMap((b) => b.calls).sort((x, y) => x - y);
  const n = blocks.length * PER_BLOCK;
  return {
    mean: calls.reduce((x, y) => x + y, 0) / calls.length,
    median: calls[calls.length >> 1]!,
    p90: calls[Math.floor(calls.length * 0.9)]!,
    wall: blocks.reduce((x, b) => x + b.wall, 0) / n,
    cpu: blocks.reduce((x, b) => x + b.cpu, 0) / n,
  };
};
const fresh = summary(sides.fresh);
const kept = summary(sides.kept);
const ms = (x: number) => `${x.toFixed(3)} ms`;
console.log(
  `expression call: ${BLOCKS} interleaved blocks of ${PER_BLOCK} iterations per side (call + 3 HTTP requests), ` +
    `one sandbox thread; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
);
console.log("side    call mean   call median  call p90    iteration wall  iteration CPU");
for (const [name, s] of [
  ["fresh", fresh],
  ["kept", kept],
] as const) {
  console.log(
    `${name.padEnd(6)}  ${ms(s.mean).padEnd(10)}  ${ms(s.median).padEnd(11)}  ${ms(s.p90).padEnd(10)}  ${ms(s.wall).padEnd(14)}  ${ms(s.cpu)}`,
  );
}
console.log(
  `kept : fresh  call mean ${(kept.mean / fresh.mean).toFixed(2)}x, iteration wall ${(kept.wall / fresh.wall).toFixed(2)}x, ` +
    `iteration CPU ${(kept.cpu / fresh.cpu).toFixed(2)}x`,
);

/** The hop alone: an echo worker, posted to at once or after it slept `sleepMs`. */
async function hop(sleepMs: number): Promise<{ post: number[]; roundTrip: number[] }> {
  const echo = new Worker(
    'require("node:worker_threads").parentPort.on("message", (m) => require("node:worker_threads").parentPort.postMessage(m.id))',
    { eval: true },
  );
  let answered: () => void = () => {};
  echo.on("message", () => answered());
  const job = { kind: "expressions", sources, scopeJson: JSON.stringify(scope), lean: true, keepFor: "org" };
  const post: number[] = [];
  const roundTrip: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const back = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const t = performance.now();
    echo.postMessage({ id: i, job });
    const posted = performance.now();
    await back;
    if (i >= 200) {
      post.push(posted - t);
      roundTrip.push(performance.now() - t);
    }
    if (sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, sleepMs));
  }
  await echo.terminate();
  return { post, roundTrip };
}
const stats = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return `median ${ms(s[s.length >> 1]!)}, mean ${ms(s.reduce((x, y) => x + y, 0) / s.length)}, p90 ${ms(s[Math.floor(s.length * 0.9)]!)}`;
};
for (const sleepMs of [0, 2]) {
  const h = await hop(sleepMs);
  const when = sleepMs === 0 ? "awake" : `after ${sleepMs} ms asleep`;
  console.log(`echo worker, ${when}: postMessage ${stats(h.post)}; round trip ${stats(h.roundTrip)}`);
}

await pool.close();
server.close();
process.exit(0);

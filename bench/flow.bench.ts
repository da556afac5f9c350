/**
 * What flows cost (X4), measured in one run with the sides interleaved, at the executor (the worker's
 * path: resolve, steps, redaction of the entry), against a local HTTP sink:
 *
 * (a) a flow of 3 http steps with 2 expressions each against the same three requests as webhook
 *     integrations run by themselves, on two input shapes (expressions in a header and the query; in the
 *     URL and a JSON body). Target: the flow costs at most 1.5x the three webhooks. Measured one run at
 *     a time (the latency of a run, sandbox thread hop included) and with 8 runs in flight, as the run
 *     worker executes a backlog (up to 32 runs per worker at once, runner/options.ts): runs per second.
 * (b) one http step with 5 expressions against the same step with literal fields: what evaluating the
 *     expressions (one sandbox call) adds per step. Target: under 1 ms.
 * (ref) a flow of the same 3 http steps with literal fields against the 3 webhooks: what the flow runner
 *     costs outside the sandbox (steps, step logs, carriedSecret checks, one redacted entry). No target.
 *
 * Each comparison is given on wall time and on the process's CPU time (every thread: the sandbox's work
 * after an answer counts in full there), median and best of the rounds' ratios.
 *
 *   npx tsx bench/flow.bench.ts      (or npm run bench -- flow)
 */
import { loadavg } from "node:os";
import type { Step } from "../src/consumers/flow-schema.js";
import type { Consumer } from "../src/consumers/schema.js";
import { createFlowRunner } from "../src/runtime/flows/run.js";
import { createExecutor } from "../src/runtime/runner/execute.js";
import { createRedactorCache } from "../src/runtime/runner/redactors.js";
import type { RunEvent } from "../src/runtime/runner/schema.js";
import { createSandboxPool } from "../src/runtime/sandbox/index.js";
import { createWebhookClient } from "../src/runtime/webhook/index.js";
import { startBenchSink } from "./support.js";

const ROUNDS = 16;
const PER_ROUND = 25;

const { server: sink, url } = await startBenchSink('{"ok":true,"id":7}');

const values: Record<string, string> = { API_KEY: "k_live_0123456789abcdef0123", TENANT: "tenant-4f9a2c71" };
const live = Object.values(values);
const secrets = {
  async resolveForRun(_scope: unknown, names: string[]) {
    return { values: Object.fromEntries(names.map((n) => [n, values[n]!])) };
  },
  async redactionValues() {
    return live;
  },
};
const webhook = createWebhookClient({ allowPrivate: true });
const sandbox = createSandboxPool({ size: 1 });
const redactors = createRedactorCache();
const flows = createFlowRunner({ sandbox, webhook, secrets, redactors });
const executor = createExecutor({ secrets, webhook, sandbox, redactors, flows });
const event: RunEvent = {
  id: "e1",
  name: "order.created",
  data: { id: 42 },
  publishedAt: new Date().toISOString(),
};

const base = { orgId: "o", projectId: "p", event: "", enabled: true, secrets: ["API_KEY", "TENANT"] };
const flow = (id: string, steps: Step[]): Consumer => ({ ...base, kind: "flow", id, name: id, steps });
const hook = (id: string, request: Record<string, unknown>): Consumer =>
  ({
    ...base,
    kind: "integration",
    id,
    name: id,
    timeoutMs: 10_000,
    request: { method: "POST", headers: {}, query: {}, body: null, basicAuth: null, ...request },
  }) as Consumer;
const http = (id: string, request: Record<string, unknown>): Step =>
  ({ id, type: "http", request: { method: "POST", headers: {}, query: {}, body: null, ...request } }) as Step;

// Shape 1: a secret header and an event field in the query.
const shape1 = {
  flow: flow(
    "flow1",
    ["a", "b", "c"].map((s) =>
      http(s, {
        url: `${url}/${s}`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
        headers: { Authorization: { expr: "`Bearer ${secrets.API_KEY}`" } },
        query: { order: { expr: "event.data.id" } },
      }),
    ),
  ),
  hooks: ["a", "b", "c"].map((s) =>
    hook(`hook1${s}`, {
      url: `${url}/${s}`,
      headers: { Authorization: "Bearer {{{API_KEY}}}" },
      query: { order: "{{event.data.id}}" },
    }),
  ),
};
// Shape 2: the tenant in the URL and a JSON body built from the event.
const shape2 = {
  flow: flow(
    "flow2",
    ["a", "b", "c"].map((s) =>
      http(s, {
        url: { expr: `"${url}/${s}/" + secrets.TENANT` },
        body: { expr: "({ order: event.data.id, name: event.name })" },
      }),
    ),
  ),
  hooks: ["a", "b", "c"].map((s) =>
    hook(`hook2${s}`, {
      url: `${url}/${s}/{{{TENANT}}}`,
      body: '{"order":{{event.data.id}},"name":"{{event.name}}"}',
    }),
  ),
};
// (b): five expressions against five literals of the same text.
const fiveExpr = flow("five", [
  http("a", {
    url: { expr: `"${url}/x"` },
    headers: {
      A: { expr: "secrets.API_KEY" },
      B: { expr: "event.name" },
      C: { expr: "String(event.data.id)" },
    },
    query: { d: { expr: "event.data.id * 2" } },
  }),
]);
const fiveLiteral = flow("literal", [
  http("a", {
    url: `${url}/x`,
    headers: { A: "k_live_0123456789abcdef0123", B: "order.created", C: "42" },
    query: { d: "84" },
  }),
]);

// (ref): shape 1's requests, every field a literal.
const literal3 = flow(
  "literal3",
  ["a", "b", "c"].map((s) =>
    http(s, {
      url: `${url}/${s}`,
      headers: { Authorization: "Bearer k_live_0123456789abcdef0123" },
      query: { order: "42" },
    }),
  ),
);

/**
 * Wall time and the process's CPU time (main thread, sandbox thread and sink: everything the runs cost)
 * of `n` runs of `consumers` (one after another within a run), `inFlight` runs at a time.
 */
async function runs(consumers: Consumer[], n: number, inFlight = 1): Promise<{ wall: number; cpu: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      for (const consumer of consumers) {
        const { entry } = await executor.attempt(consumer, event, { deliveryId: `d${i}`, attempt: 1 });
        if (entry.status !== "success")
          throw new Error(`run failed: ${entry.error?.code} ${entry.error?.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
}

type Pair = {
  name: string;
  a: Consumer[];
  b: Consumer[];
  target: number | "delta" | "reference";
  inFlight?: number;
};
const IN_FLIGHT = 8;
/** Runs per side and round: six laps of the lanes when several runs are in flight. */
const perRound = (p: Pair) => (p.inFlight ? 6 * p.inFlight : PER_ROUND);
const pairs: Pair[] = [
  { name: "(a) 3 http steps, header + query", a: [shape1.flow], b: shape1.hooks, target: 1.5 },
  { name: "(a) 3 http steps, URL + JSON body", a: [shape2.flow], b: shape2.hooks, target: 1.5 },
  {
    name: `(a) header + query, ${IN_FLIGHT} in flight`,
    a: [shape1.flow],
    b: shape1.hooks,
    target: 1.5,
    inFlight: IN_FLIGHT,
  },
  {
    name: `(a) URL + JSON body, ${IN_FLIGHT} in flight`,
    a: [shape2.flow],
    b: shape2.hooks,
    target: 1.5,
    inFlight: IN_FLIGHT,
  },
  { name: "(b) 1 step, 5 expressions vs literals", a: [fiveExpr], b: [fiveLiteral], target: "delta" },
  { name: "(ref) 3 literal http steps vs webhooks", a: [literal3], b: shape1.hooks, target: "reference" },
];
for (const p of pairs) {
  await runs(p.a, 30);
  await runs(p.b, 30);
}
const side = () => ({ ratios: [] as number[], deltas: [] as number[] });
const results = pairs.map(() => ({ a: 0, b: 0, wall: side(), cpu: side() }));
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, p] of pairs.entries()) {
    const first = round % 2 === 0;
    let a = { wall: 0, cpu: 0 };
    if (first) a = await runs(p.a, perRound(p), p.inFlight);
    const b = await runs(p.b, perRound(p), p.inFlight);
    if (!first) a = await runs(p.a, perRound(p), p.inFlight);
    const r = results[i]!;
    r.a += a.wall;
    r.b += b.wall;
    for (const k of ["wall", "cpu"] as const) {
      r[k].ratios.push(a[k] / b[k]);
      r[k].deltas.push((a[k] - b[k]) / perRound(p));
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const head = [
  "comparison",
  "flow (mean/run)",
  "baseline (mean)",
  "runs/s flow : baseline",
  "median (wall)",
  "median (CPU time)",
  "target",
];
const table = pairs.map((p, i) => {
  const r = results[i]!;
  const n = ROUNDS * perRound(p);
  const verdict = ({ ratios, deltas }: { ratios: number[]; deltas: number[] }) => {
    const ratio = median(ratios);
    const delta = median(deltas);
    if (p.target === "delta") {
      const met = delta < 1 ? "met" : "MISSED";
      return `+${delta.toFixed(3)} ms/step, min +${Math.min(...deltas).toFixed(3)} (< 1 ms: ${met})`;
    }
    const min = `min ${Math.min(...ratios).toFixed(2)}x`;
    if (p.target === "reference") return `${ratio.toFixed(2)}x, ${min}`;
    return `${ratio.toFixed(2)}x, ${min} (<= ${p.target}x: ${ratio <= p.target ? "met" : "MISSED"})`;
  };
  return [
    p.name,
    `${(r.a / n).toFixed(3)} ms`,
    `${(r.b / n).toFixed(3)} ms`,
    `${(n / (r.a / 1000)).toFixed(0)} : ${(n / (r.b / 1000)).toFixed(0)}`,
    verdict(r.wall),
    verdict(r.cpu),
    p.target === "delta"
      ? "expressions add < 1 ms"
      : p.target === "reference"
        ? "none (runner overhead)"
        : "flow <= 1.5x three webhooks",
  ];
});
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(" ");
console.log(
  `flows: ${ROUNDS} interleaved rounds of ${PER_ROUND} runs per side, one sandbox thread; load average ${load}`,
);
console.log(line(head));
for (const row of table) console.log(line(row));

await Promise.all([sandbox.close(), webhook.close()]);
sink.close();

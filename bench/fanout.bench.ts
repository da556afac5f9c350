/**
 * Event fan-out throughput (X1): deliveries per second from the first publish to every run recorded as
 * delivered, against raw undici requests to the same target with the same concurrency, in the same run.
 * Target: at least 50% of the raw rate. Two targets: one that answers at once (the runtime's own cost
 * decides) and one that answers in 20 ms (like a real webhook endpoint). CPU ms per delivery is this
 * process's CPU time, steadier than rates on a shared machine.
 *
 *   npx tsx bench/fanout.bench.ts            (SQLite; TEST_DATABASE_URL=postgres://... adds PostgreSQL)
 */
import { type ChildProcess, fork } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { RUNS_PER_WORKER } from "../src/runtime/runner/options.js";
import { type TestDatabase, testDatabases } from "../src/testing/databases.js";
import { startTestServer } from "../src/testing/server.js";

const DELIVERIES = 2000;
/** Target latency and fan-out factor: consumers per event (events = DELIVERIES / consumers). */
const SCENARIOS = [
  { delayMs: 0, consumers: 10 },
  { delayMs: 0, consumers: 50 },
  { delayMs: 20, consumers: 10 },
];
const WORKERS = 2;
const CONCURRENCY = WORKERS * RUNS_PER_WORKER;
const PUBLISHERS = 4;

interface Measure {
  seconds: number;
  cpuMsPer: number;
}

/** The target runs in a process of its own so that it shares an event loop with neither side. */
async function startSinkProcess(delayMs: number): Promise<{ url: string; child: ChildProcess }> {
  const file = join(tmpdir(), `cloakroom-bench-sink-${process.pid}-${delayMs}.mjs`);
  writeFileSync(
    file,
    `import { createServer } from "node:http";
     const answer = (res) => { res.writeHead(200, { "content-type": "text/plain" }); res.end("ok"); };
     const s = createServer((req, res) => { req.resume(); req.on("end", () => ${delayMs} > 0 ? setTimeout(answer, ${delayMs}, res) : answer(res)); });
     s.keepAliveTimeout = 10000;
     s.listen(0, "127.0.0.1", () => process.send({ port: s.address().port }));`,
  );
  const child = fork(file, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve) =>
    child.once("message", (m) => resolve((m as { port: number }).port)),
  );
  rmSync(file);
  return { url: `http://127.0.0.1:${port}`, child };
}

async function measure(fn: () => Promise<void>): Promise<Measure> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fn();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuMsPer: (used.user + used.system) / 1000 / DELIVERIES };
}

/** The same requests the integrations send (method, header, body size), straight from undici. */
async function rawUndici(url: string): Promise<Measure> {
  const agent = new Agent({ connections: CONCURRENCY });
  const body = JSON.stringify({ event: "bench.created", data: { i: 100 } });
  let next = 0;
  const m = await measure(async () => {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < DELIVERIES) {
          next += 1;
          const res = await request(`${url}/raw`, {
            method: "POST",
            dispatcher: agent,
            headers: { "content-type": "application/json", authorization: "Bearer abcdefghijklmnop" },
            body,
          });
          await res.body.text();
        }
      }),
    );
  });
  await agent.close();
  return m;
}

async function fanout(
  database: TestDatabase,
  url: string,
  consumers: number,
): Promise<Measure & { publishSeconds: number }> {
  const events = DELIVERIES / consumers;
  const server = await startTestServer(database, {
    CLOAKROOM_WORKERS: String(WORKERS),
    CLOAKROOM_LOG_LEVEL: "warn",
  });
  try {
    const { token } = await server.setup({ org: "bench" });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await server.request(method, path, { token, ...(body !== undefined ? { body } : {}) });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
      return res.body;
    };
    await call("POST", "/v1/orgs/bench/projects", { slug: "p", name: "p" });
    await call("POST", "/v1/orgs/bench/secrets", {
      name: "API_KEY",
      type: "token",
      value: "abcdefghijklmnop",
    });
    for (let i = 0; i < consumers; i++) {
      await call("POST", "/v1/orgs/bench/projects/p/integrations", {
        name: `hook-${i}`,
        event: "bench",
        secrets: ["API_KEY"],
        request: {
          method: "POST",
          url: `${url}/hook/${i}`,
          headers: { Authorization: "Bearer {{{API_KEY}}}", "Content-Type": "application/json" },
          body: '{"event":"{{event.name}}","data":{{{event.data}}}}',
        },
      });
    }
    const db = server.cloakroom.store.db;
    // Unfinished runs are few and indexed by status; counting finished ones would scan a growing set.
    const unfinished = async () =>
      Number(
        (
          await db
            .selectFrom("runs")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("status", "in", ["pending", "running"])
            .executeTakeFirstOrThrow()
        ).n,
      );
    // Publishing goes through undici's plain request API: fetch's web streams would bill this process
    // for a heavy client that is not part of the runtime.
    const publisher = new Agent({ connections: PUBLISHERS });
    const publish = async (i: number) => {
      const res = await request(`${server.url}/v1/orgs/bench/projects/p/events`, {
        method: "POST",
        dispatcher: publisher,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "bench.created", data: { i } }),
      });
      await res.body.text();
      if (res.statusCode !== 202) throw new Error(`publish answered ${res.statusCode}`);
    };
    let publishSeconds = 0;
    const m = await measure(async () => {
      const started = performance.now();
      // Several publishers side by side, as several clients would.
      let published = 0;
      await Promise.all(
        Array.from({ length: PUBLISHERS }, async () => {
          while (published < events) {
            published += 1;
            await publish(published);
          }
        }),
      );
      publishSeconds = (performance.now() - started) / 1000;
      while ((await unfinished()) > 0) await new Promise((r) => setTimeout(r, 25));
    });
    await publisher.close();
    const failed = await db.selectFrom("runs").select("id").where("status", "!=", "success").execute();
    if (failed.length > 0) throw new Error(`${failed.length} runs did not succeed`);
    const delivered = await db.selectFrom("runs").select("id").where("status", "=", "success").execute();
    if (delivered.length !== DELIVERIES) throw new Error(`${delivered.length} runs instead of ${DELIVERIES}`);
    return { ...m, publishSeconds };
  } finally {
    await server.close();
  }
}

const rows: string[][] = [];
for (const { delayMs, consumers } of SCENARIOS) {
  const sink = await startSinkProcess(delayMs);
  try {
    await rawUndici(sink.url); // warm-up: JIT and connections
    for (const database of testDatabases()) {
      // Raw before and after the fan-out, averaged, so a change in the machine's load hits both sides.
      const before = await rawUndici(sink.url);
      const run = await fanout(database, sink.url, consumers);
      const after = await rawUndici(sink.url);
      const rawSeconds = (before.seconds + after.seconds) / 2;
      const rawCpu = (before.cpuMsPer + after.cpuMsPer) / 2;
      const ratio = rawSeconds / run.seconds;
      rows.push([
        `${delayMs} ms`,
        `${consumers} x ${DELIVERIES / consumers}`,
        database.name,
        `${(DELIVERIES / rawSeconds).toFixed(0)}/s`,
        `${(DELIVERIES / run.seconds).toFixed(0)}/s`,
        `${(run.publishSeconds * 1000).toFixed(0)} ms`,
        `${rawCpu.toFixed(3)} / ${run.cpuMsPer.toFixed(3)}`,
        `${(ratio * 100).toFixed(1)}%`,
        ratio >= 0.5 ? "met" : "MISSED",
      ]);
    }
  } finally {
    sink.child.kill();
  }
}

const head = [
  "target answers in",
  "consumers x events",
  "database",
  "raw undici",
  "fan-out",
  "publishing",
  "CPU ms/delivery raw / fan-out",
  "fan-out / raw",
  "target >= 50%",
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(
  `\n${DELIVERIES} deliveries per row (${PUBLISHERS} publishers), ${CONCURRENCY} in flight on both sides; ` +
    "fan-out time runs from the first publish to the last run recorded\n",
);
console.log(line(head));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(row));

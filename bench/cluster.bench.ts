/**
 * Publish + deliver on a cluster (D2, issue 8 item 7): 1, 2 and 3 real `cloakroom serve` processes on one
 * PostgreSQL database of their own, publishers spread over the nodes with an API token, one webhook per
 * event to a local sink. Reports events/s delivered, node CPU and PostgreSQL CPU per event (the backends
 * serving this database, from /proc), and commits per event (pg_stat_database.xact_commit of this
 * database, so other users of the server do not count), each also as a ratio to the one-node run.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/cluster.bench.ts
 *   (CLUSTER_EVENTS, CLUSTER_NODES="1,2,3" and CLUSTER_PUBLISHERS override the defaults)
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { Agent, request } from "undici";
import { tempDir } from "../src/testing/databases.js";
import { type ServerProcess, startServerProcess } from "../src/testing/process.js";
import { startBenchSink } from "./support.js";

const EVENTS = Number(process.env.CLUSTER_EVENTS ?? 1500);
const NODES = (process.env.CLUSTER_NODES ?? "1,2,3").split(",").map(Number);
const PUBLISHERS = Number(process.env.CLUSTER_PUBLISHERS ?? 8);
const DATABASE = "cloakroom_bench_cluster";

const base = process.env.TEST_DATABASE_URL;
if (!base) {
  console.log("cluster: skipped (set TEST_DATABASE_URL to a PostgreSQL server)");
  process.exit(0);
}
const benchUrl = (() => {
  const u = new URL(base);
  u.pathname = `/${DATABASE}`;
  return u.toString();
})();

async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = base as string): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** CPU seconds of a process (user + system) from /proc; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function backendPids(): Promise<number[]> {
  return admin(async (c) => {
    const r = await c.query(
      "select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
      [DATABASE],
    );
    return r.rows.map((row: { pid: number }) => row.pid);
  });
}

async function commits(): Promise<number> {
  // Statistics reach pg_stat_database within about a second of a transaction's end (PostgreSQL 15).
  await new Promise((r) => setTimeout(r, 1500));
  return admin(async (c) => {
    const r = await c.query("select xact_commit from pg_stat_database where datname = $1", [DATABASE]);
    return Number(r.rows[0].xact_commit);
  });
}

interface Result {
  nodes: number;
  eventsPerSecond: number;
  nodeCpuMsPerEvent: number;
  pgCpuMsPerEvent: number;
  commitsPerEvent: number;
}

async function runCluster(nodeCount: number, sink: { url: string; count(): number }): Promise<Result> {
  await admin((c) => c.query(`drop database if exists ${DATABASE} with (force)`));
  await admin((c) => c.query(`create database ${DATABASE}`));
  const env = {
    DATABASE_URL: benchUrl,
    CLOAKROOM_ROOT_KEY: randomBytes(32).toString("base64"),
    CLOAKROOM_ALLOW_PRIVATE_TARGETS: "true",
    CLOAKROOM_LOG_LEVEL: "warn",
    // 1,500 events in seconds: far beyond the default per-organization publish rate (600 a minute).
    CLOAKROOM_ORG_RUN_RATE: "0",
  };
  const nodes: ServerProcess[] = [];
  try {
    for (let i = 0; i < nodeCount; i++)
      nodes.push(await startServerProcess(["--data-dir", tempDir()], env, 120_000));
    const agent = new Agent({ connections: PUBLISHERS * 2 });
    const call = async (
      node: ServerProcess,
      method: string,
      path: string,
      token?: string,
      body?: unknown,
    ) => {
      const res = await request(node.url + path, {
        method: method as "POST",
        dispatcher: agent,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    const first = nodes[0] as ServerProcess;
    const setup = await call(first, "POST", "/v1/setup", undefined, {
      org: "bench",
      email: "bench@example.com",
      password: "correct horse battery staple",
    });
    const owner = setup.token as string;
    await call(first, "POST", "/v1/orgs/bench/projects", owner, { slug: "p", name: "p" });
    await call(first, "POST", "/v1/orgs/bench/secrets", owner, {
      name: "API_KEY",
      type: "token",
      value: "k",
    });
    const token = (await call(first, "POST", "/v1/orgs/bench/tokens", owner, { name: "pub", role: "editor" }))
      .token as string;
    await call(first, "POST", "/v1/orgs/bench/projects/p/integrations", owner, {
      name: "sink",
      event: "bench",
      secrets: ["API_KEY"],
      request: {
        method: "POST",
        url: `${sink.url}/hook`,
        headers: { Authorization: "Bearer {{{API_KEY}}}" },
        query: {},
        body: '{"event":"{{event.name}}"}',
        basicAuth: null,
      },
    });

    const publish = async (count: number) => {
      let next = 0;
      const target = sink.count() + count;
      await Promise.all(
        Array.from({ length: PUBLISHERS }, async (_, p) => {
          while (next < count) {
            const i = next++;
            const node = nodes[(i + p) % nodes.length] as ServerProcess;
            await call(node, "POST", "/v1/orgs/bench/projects/p/events", token, {
              name: "bench.x",
              data: { i },
            });
          }
        }),
      );
      while (sink.count() < target) await new Promise((r) => setTimeout(r, 5));
    };

    await publish(100); // warm-up: connections, caches, JIT
    const pids = await backendPids();
    const nodeCpu0 = nodes.map((n) => cpuSeconds(n.child.pid as number));
    const pgCpu0 = new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
    const commits0 = await commits();
    const started = performance.now();
    await publish(EVENTS);
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = nodes.reduce(
      (sum, n, i) => sum + cpuSeconds(n.child.pid as number) - (nodeCpu0[i] ?? 0),
      0,
    );
    let pgCpu = 0;
    for (const pid of new Set([...pids, ...(await backendPids())]))
      pgCpu += cpuSeconds(pid) - (pgCpu0.get(pid) ?? 0);
    const commitCount = (await commits()) - commits0;
    await agent.close();
    return {
      nodes: nodeCount,
      eventsPerSecond: EVENTS / seconds,
      nodeCpuMsPerEvent: (nodeCpu * 1000) / EVENTS,
      pgCpuMsPerEvent: (pgCpu * 1000) / EVENTS,
      commitsPerEvent: commitCount / EVENTS,
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await admin((c) => c.query(`drop database if exists ${DATABASE} with (force)`));
  }
}

let delivered = 0;
const { server: sinkServer, url: sinkUrl } = await startBenchSink("ok", {
  contentType: "text/plain",
  onRequest: () => {
    delivered++;
  },
});
const sink = {
  url: sinkUrl,
  count: () => delivered,
};

const results: Result[] = [];
try {
  for (const n of NODES) {
    const r = await runCluster(n, sink);
    results.push(r);
    const one = results[0] as Result;
    console.log(
      `${n} node(s): ${r.eventsPerSecond.toFixed(0)} events/s (x${(r.eventsPerSecond / one.eventsPerSecond).toFixed(2)}), ` +
        `node CPU ${r.nodeCpuMsPerEvent.toFixed(2)} ms/event, PostgreSQL CPU ${r.pgCpuMsPerEvent.toFixed(2)} ms/event, ` +
        `${r.commitsPerEvent.toFixed(2)} commits/event (x${(r.commitsPerEvent / one.commitsPerEvent).toFixed(2)})`,
    );
  }
} finally {
  sinkServer.closeAllConnections();
  sinkServer.close();
}

/**
 * Time from a node's PostgreSQL connections going silent to its runs being delivered by another node,
 * against the baseline of the same node killed with SIGKILL (measured in the same run, same settings):
 * a frozen node should give its runs up no later than a dead one. A bounded soak on loopback: ROUNDS
 * rounds of each, two `cloakroom serve` processes, node A behind a TCP proxy that freezes.
 *
 *   npm run build && TEST_DATABASE_URL=postgres://... node dist/bench/faults.bench.js
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import { tempDir } from "../src/testing/databases.js";
import { createPgTestSchema, pgQuery } from "../src/testing/postgres.js";
import { type ServerProcess, startServerProcess } from "../src/testing/process.js";
import { startTcpProxy } from "../src/testing/tcp-proxy.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RUNS = 40;
const LEASE_MS = 5_000;
const baseUrl = process.env.TEST_DATABASE_URL;

const env = (databaseUrl: string): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  CLOAKROOM_ROOT_KEY: rootKey,
  CLOAKROOM_ALLOW_PRIVATE_TARGETS: "true",
  CLOAKROOM_LOG_LEVEL: "fatal",
  CLOAKROOM_WORKERS: "1",
  CLOAKROOM_RUN_POLL_MS: "200",
  CLOAKROOM_RUN_LEASE_MS: String(LEASE_MS),
  CLOAKROOM_RUN_STUCK_MS: "5000",
  CLOAKROOM_SHUTDOWN_TIMEOUT_MS: "5000",
  CLOAKROOM_DB_CONNECT_TIMEOUT_MS: "2000",
  CLOAKROOM_DB_STATEMENT_TIMEOUT_MS: "2000",
  CLOAKROOM_DB_QUERY_TIMEOUT_MS: "3000",
  CLOAKROOM_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: "2000",
});
const rootKey = randomBytes(32).toString("base64");

const sql = <T extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
  pgQuery<T>(baseUrl ?? "", text, values);

async function call(url: string, path: string, token: string | undefined, body: unknown) {
  const res = await fetch(url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${path}: ${res.status}`);
  return answer;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One round: A holds runs, then is frozen or killed; ms until B has delivered every run. */
async function round(fault: "freeze" | "kill"): Promise<number> {
  const { schema, urlFor, drop } = await createPgTestSchema(baseUrl ?? "", "b_");
  const sink = createServer((req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => res.end("ok"), 1_000).unref());
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", () => resolve()));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(baseUrl ?? "").port || 5432) });
  const nodes: ServerProcess[] = [];
  try {
    const a = await startServerProcess(["--data-dir", tempDir()], env(urlFor(proxy.port)), 60_000);
    nodes.push(a);
    const setup = await call(a.url, "/v1/setup", undefined, {
      org: "acme",
      email: "owner@example.com",
      password: "correct horse battery staple",
    });
    const token = setup.token as string;
    await call(a.url, "/v1/orgs/acme/projects", token, { slug: "web", name: "Web" });
    await call(a.url, "/v1/orgs/acme/projects/web/integrations", token, {
      name: "hook",
      event: "order",
      request: { method: "POST", url: sinkUrl, body: "{{event.id}}" },
    });
    const b = await startServerProcess(["--data-dir", tempDir()], env(urlFor()), 60_000);
    nodes.push(b);
    for (let i = 0; i < RUNS; i++) {
      await call(a.url, "/v1/orgs/acme/projects/web/events", token, { name: "order.created", data: { i } });
    }
    await until(
      async () =>
        (
          await sql<{ n: number }>(
            `select count(*)::int as n from ${schema}.runs where status = 'running' and locked_by like $1`,
            [`%/${a.child.pid}/%`],
          )
        )[0]!.n > 0,
      10_000,
    );
    const at = performance.now();
    if (fault === "freeze") proxy.freeze();
    else await a.stop("SIGKILL");
    await until(
      async () =>
        (
          await sql<{ n: number }>(`select count(*)::int as n from ${schema}.runs where status = 'success'`)
        )[0]!.n === RUNS,
      LEASE_MS + 60_000,
    );
    return performance.now() - at;
  } finally {
    for (const node of nodes) await node.stop("SIGKILL");
    await proxy.close();
    sink.closeAllConnections();
    sink.close();
    await drop();
  }
}

if (!baseUrl) {
  console.log("faults: skipped (set TEST_DATABASE_URL)");
} else {
  const times: Record<"freeze" | "kill", number[]> = { freeze: [], kill: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const fault of ["kill", "freeze"] as const) {
      const ms = await round(fault);
      times[fault].push(ms);
      console.log(
        `round ${i + 1}, node A ${fault === "kill" ? "killed" : "frozen"}: ${(ms / 1000).toFixed(1)} s`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
  const fmt = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(1)).join(", ");
  console.log(`lease ${LEASE_MS} ms, ${RUNS} runs held by node A, ${ROUNDS} rounds each`);
  console.log(`node A killed (SIGKILL):  runs delivered by node B after ${fmt(times.kill)} s`);
  console.log(`node A frozen (no bytes): runs delivered by node B after ${fmt(times.freeze)} s`);
  console.log(`frozen / killed (medians): ${(median(times.freeze) / median(times.kill)).toFixed(2)}x`);
}

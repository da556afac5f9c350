#!/usr/bin/env node
/**
 * One built checkout's cost per secrets-API request, for comparing two revisions process by process:
 *
 *   node bench/request-cost.mjs DIR sqlite|postgres list|create|update [SECONDS]
 *
 * Starts DIR's test server (an organization of 100 secrets, as bench/api.bench.ts), drives one operation
 * with autocannon (10 connections, after a 1 s warm-up) and prints one JSON line: req/s, p99, this process's
 * CPU milliseconds per request (server and client together; steadier than req/s on a loaded machine, but
 * PostgreSQL's own time is not in it) and, on PostgreSQL, SQL statements per request (20 more requests
 * one at a time after the load; background polls of the run worker count too). Run it alternately
 * for the two checkouts and compare the medians of the pairs (docs/performance.md).
 */
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [dirArg, dbName, op, secondsArg] = process.argv.slice(2);
if (!dirArg || !["sqlite", "postgres"].includes(dbName) || !["list", "create", "update"].includes(op)) {
  console.error("usage: node bench/request-cost.mjs DIR sqlite|postgres list|create|update [SECONDS]");
  process.exit(2);
}
const dir = resolve(dirArg);
const requireFromDir = createRequire(join(dir, "package.json"));
const autocannon = requireFromDir("autocannon");

let statements = 0;
if (dbName === "postgres") {
  const pg = requireFromDir("pg");
  // Every statement goes through a client (a pool's query borrows one).
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (...args) {
    statements++;
    return query.apply(this, args);
  };
}
// The test-database helpers moved in issue 9 (src/store/testing.ts to src/testing/databases.ts).
const databases = await import(join(dir, "dist/src/testing/databases.js")).catch(
  () => import(join(dir, "dist/src/store/testing.js")),
);
const { startTestServer } = await import(join(dir, "dist/src/testing/server.js"));
const database = databases.testDatabases().find((d) => d.name === dbName);
if (!database) throw new Error(`no ${dbName} database (set TEST_DATABASE_URL for postgres)`);
const server = await startTestServer(database, { CLOAKROOM_LOG_LEVEL: "silent" });
const { token } = await server.setup();
const base = "/v1/orgs/acme/secrets";
for (let i = 0; i < 100; i++) {
  const body = { name: `LISTED_${i}`, type: "token", value: `bench-value-${i}-0123456789abcdef` };
  await server.request("POST", base, { token, body });
}
let n = 0;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const withBody = (make) => ({ setupRequest: (r) => ({ ...r, body: JSON.stringify(make()) }) });
const request = {
  list: { method: "GET", path: base, headers },
  create: {
    method: "POST",
    path: base,
    headers,
    ...withBody(() => ({ name: `BENCH_${n++}`, type: "token", value: "bench-value-0123456789abcdef" })),
  },
  update: {
    method: "PUT",
    path: `${base}/LISTED_0/value`,
    headers,
    ...withBody(() => ({ value: `bench-rotated-${n++}-0123456789` })),
  },
}[op];
await autocannon({ url: server.url, connections: 10, duration: 1, requests: [request] });
const cpu = process.cpuUsage();
const r = await autocannon({
  url: server.url,
  connections: 10,
  duration: Number(secondsArg ?? 4),
  requests: [request],
});
const used = process.cpuUsage(cpu);
const total = r.requests.total;
// Statements: 20 requests one at a time (the run worker's background polls are in the count too).
statements = 0;
for (let i = 0; i < 20; i++) {
  const path = request.path;
  const body = request.setupRequest ? JSON.parse(request.setupRequest({}).body) : undefined;
  await server.request(request.method, path, { token, ...(body ? { body } : {}) });
}
const perRequest = statements / 20;
console.log(
  JSON.stringify({
    dir,
    database: dbName,
    op,
    rps: r.requests.average,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    cpuMsPerRequest: Number(((used.user + used.system) / 1000 / total).toFixed(3)),
    ...(dbName === "postgres" ? { statementsPerRequest: perRequest } : {}),
  }),
);
await server.close();
process.exit(0);

/**
 * Before and after on a shared, noisy machine: the list shapes of `api.bench.ts` on two builds of
 * Cloakroom in one process, taking turns in one-second slices with a bare Fastify route answering the same
 * JSON. For each, this process's CPU time per request (server and autocannon; the database server's too
 * on SQLite, not on PostgreSQL), least and median over the slices. A burst of load from elsewhere falls on
 * all sides alike, and CPU time per request moves much less with the load than req/s does.
 *
 *   BENCH_BASE=/path/to/other/checkout/dist/src node dist/bench/list-ab.bench.js
 *
 * The other build is any commit's `npx tsc -p tsconfig.json` output; without BENCH_BASE only this one runs.
 * BENCH_ROUNDS (default 6) slices per side; TEST_DATABASE_URL=postgres://... runs on PostgreSQL instead;
 * BENCH_INJECT=1 sends 20 requests per slice through Fastify's `inject` instead of autocannon over
 * sockets (no floor then: it measures Cloakroom's own work, with less noise).
 */
import autocannon from "autocannon";
import Fastify from "fastify";
import type { startTestServer as Start } from "../src/testing/server.js";

const LISTED = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const trees: Record<string, string> = { now: new URL("../src", import.meta.url).href };
if (process.env.BENCH_BASE) trees.base = `file://${process.env.BENCH_BASE}`;

interface Side {
  url: string;
  headers: Record<string, string>;
  inject(path: string): Promise<unknown>;
  close(): Promise<void>;
}

/** A server of the build at `root` with the bench's organization and project of 100 secrets each. */
async function start(root: string): Promise<{ side: Side; sample: unknown }> {
  const { testDatabases } = await import(`${root}/testing/databases.js`);
  const { startTestServer } = (await import(`${root}/testing/server.js`)) as {
    startTestServer: typeof Start;
  };
  const all = testDatabases() as { name: string }[];
  const database = all.find((d) => d.name === (process.env.TEST_DATABASE_URL ? "postgres" : "sqlite"));
  const server = await startTestServer(database as never, { CLOAKROOM_LOG_LEVEL: "silent" });
  const { token } = await server.setup();
  let sample: unknown;
  await server.request("POST", "/v1/orgs/acme/projects", { token, body: { slug: "web", name: "Web" } });
  // Each project secret overrides an organization secret of the same name, as in api.bench.ts.
  for (const path of ["/v1/orgs/acme/secrets", "/v1/orgs/acme/projects/web/secrets"]) {
    for (let i = 0; i < LISTED; i++) {
      const body = { name: `LISTED_${i}`, type: "token", value: `bench-value-${i}-0123456789abcdef` };
      const res = await server.request("POST", path, { token, body });
      if (!path.includes("projects")) sample = res.body;
    }
  }
  const headers = { authorization: `Bearer ${token}` };
  const side = {
    url: server.url,
    headers,
    inject: (path: string) => server.cloakroom.app.inject({ method: "GET", url: path, headers }),
    close: () => server.close(),
  };
  return { side, sample };
}

const INJECTED = 20;

async function cpuPerRequest(url: string, path: string, headers: Record<string, string>): Promise<number> {
  const before = process.cpuUsage();
  const result = await autocannon({
    url,
    connections: 10,
    duration: 1,
    requests: [{ method: "GET", path, headers }],
  });
  const used = process.cpuUsage(before);
  return (used.user + used.system) / Math.max(1, result.requests.total);
}

const sides: Record<string, Side> = {};
let sample: unknown;
for (const [name, root] of Object.entries(trees)) {
  const started = await start(root);
  sides[name] = started.side;
  sample ??= started.sample;
}
const bare = Fastify({ logger: false });
bare.get("/bare", async () => ({ secrets: Array.from({ length: LISTED }, () => sample) }));
const bareUrl = await bare.listen({ host: "127.0.0.1", port: 0 });

async function cpuPerInjected(side: Side, path: string): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < INJECTED; i++) await side.inject(path);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / INJECTED;
}

const inject = process.env.BENCH_INJECT === "1";
const shapes = {
  org: "/v1/orgs/acme/secrets",
  project: "/v1/orgs/acme/projects/web/secrets",
  "org limit=1": "/v1/orgs/acme/secrets?limit=1",
};
const times: Record<string, number[]> = { bare: [] };
for (let round = 0; round < ROUNDS; round++) {
  if (!inject) times.bare!.push(await cpuPerRequest(bareUrl, "/bare", {}));
  for (const [shape, path] of Object.entries(shapes))
    for (const [name, side] of Object.entries(sides)) {
      const key = `${name} ${shape}`;
      const cpu = inject
        ? await cpuPerInjected(side, path)
        : await cpuPerRequest(side.url, path, side.headers);
      times[key] = [...(times[key] ?? []), cpu];
    }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (inject) delete times.bare;
const bareMin = times.bare ? Math.min(...times.bare) : Number.NaN;
const bareMedian = times.bare ? median(times.bare) : Number.NaN;
console.log("side                least µs/req  median µs/req  bare/least  bare/median");
for (const [name, xs] of Object.entries(times)) {
  const least = Math.min(...xs);
  console.log(
    [
      name.padEnd(20),
      least.toFixed(0).padStart(12),
      median(xs).toFixed(0).padStart(14),
      (bareMin / least).toFixed(3).padStart(11),
      (bareMedian / median(xs)).toFixed(3).padStart(12),
    ].join(""),
  );
}
await bare.close();
for (const side of Object.values(sides)) await side.close();

/**
 * The secrets API's throughput: create, update and list (req/s with autocannon) on SQLite and PostgreSQL,
 * each as a ratio to a bare Fastify route answering the same JSON in the same run (the machine is noisy;
 * only the ratios compare across runs). Then the cost of the answer's serialization alone, in process: the
 * list of 100 through JSON.stringify (no allowlist), through the zod schema that strips unknown keys (what
 * http/server.ts does for every answer but a list page on SQLite, which its statement writes: decision
 * 0325) and through Fastify's serializer compiled from the same schema (decision 0221).
 *
 * Listing has four shapes: an organization's 100 secrets, a project's 100 secrets that each override an
 * organization secret (the merged page and its `overrides` flags), a `q=` search answering 100 of
 * 10,000 secrets, and the project's page again once its organization has those 10,000. `BENCH_ONLY=list` measures only the lists.
 * On SQLite the four are measured twice: as a node answers them (kept pages, decision 0410), then read
 * each time (`CLOAKROOM_LIST_CACHE_MB=0`, what a page costs after a change; its organization holds the
 * 100 and the 10,000 but not the first server's creates).
 * Beside req/s, each side's CPU time per request (this process: the server and autocannon): on a machine
 * shared with other loads, req/s follows how much CPU the process got, CPU per request much less. On
 * PostgreSQL it leaves out the database server's own work.
 *
 *   npx tsx bench/api.bench.ts        (SQLite; TEST_DATABASE_URL=postgres://... adds PostgreSQL)
 */
import autocannon from "autocannon";
import Fastify from "fastify";
import { z } from "zod";
import { secretListSchema } from "../src/secrets/schema.js";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer } from "../src/testing/server.js";

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 10;
const LISTED = 100;
const SEARCHED = 10_000;
const ONLY = process.env.BENCH_ONLY;
/** Each side's share of a measurement in turns of this length; BENCH_SLICE_SECONDS=4 gives one turn each. */
const SLICE_S = Number(process.env.BENCH_SLICE_SECONDS ?? 1);

interface Load {
  method: "GET" | "POST" | "PUT";
  path: string;
  headers?: Record<string, string>;
  /** Builds each request's body (a fresh name per create). */
  body?: () => string;
}

interface Run {
  rps: number;
  p99: number;
  errors: number;
  /** CPU time of this process (server and autocannon) per request, µs. */
  cpuUs: number;
}

async function measure(url: string, load: Load, seconds: number): Promise<Run> {
  const cpu = process.cpuUsage();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: load.method,
        path: load.path,
        headers: { "content-type": "application/json", ...load.headers },
        ...(load.body ? { setupRequest: (req) => ({ ...req, body: load.body!() }) } : {}),
      },
    ],
  });
  const errors = result.errors + result.non2xx;
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p99: result.latency.p99, errors, cpuUs };
}

/** The floor: Fastify answering a stored metadata document, no auth, no database. */
async function startBare(sample: unknown) {
  const app = Fastify({ logger: false });
  app.get("/bare", async () => ({ secrets: Array.from({ length: LISTED }, () => sample) }));
  app.post("/bare", async (request, reply) => {
    void request.body;
    return reply.status(201).send(sample);
  });
  app.put("/bare", async () => sample);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, close: () => app.close() };
}

/**
 * The search shape's 10,000 secrets, copied from one created through the API (an insert per secret over
 * HTTP would take minutes); every 50th name contains "found", so a search reads the whole name range.
 */
async function addSearched(server: Awaited<ReturnType<typeof startTestServer>>, token: string) {
  const res = await server.request("POST", "/v1/orgs/acme/secrets", {
    token,
    body: { name: "SEARCH_TEMPLATE", type: "token", value: "bench-search-0123456789abcdef" },
  });
  if (res.status !== 201) throw new Error(`search template: ${res.status}`);
  const db = server.cloakroom.store.db;
  const template = await db
    .selectFrom("secrets")
    .selectAll()
    .where("name", "=", "SEARCH_TEMPLATE")
    .executeTakeFirstOrThrow();
  const rows = Array.from({ length: SEARCHED }, (_, i) => {
    const name = i % 50 === 0 ? `FOUND_${String(i).padStart(5, "0")}` : `ITEM_${String(i).padStart(5, "0")}`;
    return { ...template, id: `bench-${i}`, name, name_key: name.toLowerCase() };
  });
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto("secrets")
      .values(rows.slice(i, i + 500))
      .execute();
}

/**
 * The floor and the server take turns in one-second slices, so a burst of load from elsewhere on the
 * machine falls on both sides of the ratio rather than on one.
 */
async function interleaved(bareUrl: string, floor: Load, url: string, load: Load): Promise<[Run, Run]> {
  const bare: Run[] = [];
  const ours: Run[] = [];
  for (let i = 0; i < Math.max(1, Math.round(DURATION_S / SLICE_S)); i++) {
    bare.push(await measure(bareUrl, floor, SLICE_S));
    ours.push(await measure(url, load, SLICE_S));
  }
  const total = (runs: Run[]): Run => ({
    rps: runs.reduce((a, r) => a + r.rps, 0) / runs.length,
    p99: Math.max(...runs.map((r) => r.p99)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    cpuUs: Math.min(...runs.map((r) => r.cpuUs)),
  });
  return [total(bare), total(ours)];
}

const serializerRows: string[][] = [["list of 100 answered by inject", "µs/answer", "ratio"]];
const rows: string[][] = [
  [
    "database",
    "operation",
    "req/s",
    "p99 ms",
    "bare req/s",
    "ratio",
    "cpu µs/req",
    "bare cpu µs",
    "cpu ratio",
    "errors",
  ],
];

/**
 * On SQLite a page is kept until a secret of its organization changes (decision 0410): every list request
 * of the measurement after the first is answered from memory. The pages again with nothing kept
 * (`CLOAKROOM_LIST_CACHE_MB=0`) are what each page costs after a change.
 */
const variants = testDatabases().flatMap((database) => [
  { database, label: "", env: {} as Record<string, string> },
  ...(database.name === "sqlite"
    ? [{ database, label: ", read each time", env: { CLOAKROOM_LIST_CACHE_MB: "0" } }]
    : []),
]);

for (const { database, label, env } of variants) {
  const server = await startTestServer(database, { CLOAKROOM_LOG_LEVEL: "silent", ...env });
  const { token } = await server.setup();
  const auth = { authorization: `Bearer ${token}` };
  const base = "/v1/orgs/acme/secrets";
  let sample: unknown;
  for (let i = 0; i < LISTED; i++) {
    const res = await server.request("POST", base, {
      token,
      body: { name: `LISTED_${i}`, type: "token", value: `bench-value-${i}-0123456789abcdef` },
    });
    sample = res.body;
  }
  await server.request("POST", "/v1/orgs/acme/projects", { token, body: { slug: "web", name: "Web" } });
  const projectBase = "/v1/orgs/acme/projects/web/secrets";
  for (let i = 0; i < LISTED; i++) {
    await server.request("POST", projectBase, {
      token,
      body: { name: `LISTED_${i}`, type: "token", value: `bench-project-${i}-0123456789abcdef` },
    });
  }
  const bare = await startBare(sample);
  let n = 0;
  const bareList: Load = { method: "GET", path: "/bare" };
  // The organization of 100 first (lists, then creates and updates, as in the bench's earlier versions, so
  // figures compare across revisions); the 10,000 searched secrets are added after.
  const loads: [string, Load, Load, (() => Promise<void>)?][] = [
    [`list (${LISTED})`, { method: "GET", path: base, headers: auth }, bareList],
    [`list project (${LISTED} overriding)`, { method: "GET", path: projectBase, headers: auth }, bareList],
    [
      "create",
      {
        method: "POST",
        path: base,
        headers: auth,
        body: () =>
          JSON.stringify({ name: `BENCH_${n++}`, type: "token", value: "bench-value-0123456789abcdef" }),
      },
      { method: "POST", path: "/bare", body: () => JSON.stringify({ name: `BENCH_${n++}`, type: "token" }) },
    ],
    [
      "update",
      {
        method: "PUT",
        path: `${base}/LISTED_0/value`,
        headers: auth,
        body: () => JSON.stringify({ value: `bench-rotated-${n++}-0123456789` }),
      },
      { method: "PUT", path: "/bare", body: () => JSON.stringify({ value: `bench-rotated-${n++}` }) },
    ],
    [
      `list q= (${LISTED} of ${SEARCHED})`,
      { method: "GET", path: `${base}?q=found&limit=${LISTED}`, headers: auth },
      bareList,
      // Added only now, so the first two shapes list an organization of 100 secrets.
      () => addSearched(server, token),
    ],
    [
      `list project (${LISTED} overriding, org of ${SEARCHED})`,
      // A page of LISTED, as the floor answers: without `limit` it would be the default page of 500.
      { method: "GET", path: `${projectBase}?limit=${LISTED}`, headers: auth },
      bareList,
    ],
  ];
  for (const [name, load, floor, prepare] of loads) {
    if ((ONLY === "list" || label) && !name.startsWith("list")) continue;
    await prepare?.();
    const [bareRun, run] = await interleaved(bare.url, floor, server.url, load);
    rows.push([
      database.name,
      `${name}${label}`,
      run.rps.toFixed(0),
      run.p99.toFixed(1),
      bareRun.rps.toFixed(0),
      (run.rps / bareRun.rps).toFixed(3),
      run.cpuUs.toFixed(0),
      bareRun.cpuUs.toFixed(0),
      (bareRun.cpuUs / run.cpuUs).toFixed(3),
      String(run.errors),
    ]);
  }
  if (database.name === "sqlite" && !label) {
    const list = await server.request("GET", `${base}?limit=${LISTED}`, { token });
    // A key no schema names, as a service could add by mistake: the allowlisting ways drop it.
    const withExtra = list.body as { secrets: Record<string, unknown>[] };
    for (const s of withExtra.secrets) s.internalNote = "never leaves";
    serializerRows.push(...(await serializers(withExtra)));
  }
  await bare.close();
  await server.close();
}

/** Time per serialized list answer, each way, in alternating rounds (median of the rounds). */
async function serializers(listAnswer: unknown): Promise<string[][]> {
  const ways: [string, (app: ReturnType<typeof Fastify>) => void][] = [
    ["JSON.stringify (before)", (app) => app.get("/", async () => listAnswer)],
    ["zod strip (after)", (app) => app.get("/", async () => secretListSchema.parse(listAnswer))],
    [
      "fastify serializer",
      (app) =>
        app.get(
          "/",
          { schema: { response: { 200: z.toJSONSchema(secretListSchema, { io: "output" }) } } },
          async () => listAnswer,
        ),
    ],
  ];
  const apps = await Promise.all(
    ways.map(async ([, add]) => {
      const app = Fastify({ logger: false });
      add(app);
      await app.ready();
      return app;
    }),
  );
  const times: number[][] = ways.map(() => []);
  const N = 300;
  for (let round = 0; round < 5; round++) {
    for (const [i, app] of apps.entries()) {
      const start = process.hrtime.bigint();
      for (let k = 0; k < N; k++) await app.inject({ method: "GET", url: "/" });
      times[i]!.push(Number(process.hrtime.bigint() - start) / N / 1000);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(times[0]!);
  return ways.map(([name], i) => [name, median(times[i]!).toFixed(0), (median(times[i]!) / base).toFixed(3)]);
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
console.log(
  `\n${CONNECTIONS} connections, ${DURATION_S} s per measurement in ${SLICE_S} s slices alternating with the floor; ratio = Cloakroom req/s / bare Fastify req/s; cpu = this process's CPU time (server and autocannon) per request, the least of the slices; cpu ratio = bare's / Cloakroom's`,
);
const sw = serializerRows[0]!.map((_, i) => Math.max(...serializerRows.map((r) => r[i]!.length)));
console.log("");
for (const row of serializerRows) console.log(row.map((c, i) => c.padEnd(sw[i]!)).join("  "));

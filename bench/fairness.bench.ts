/**
 * Tenant fairness (issue 7 item 5): how long organization A's trivial logic run takes while organization B
 * floods the node with logic functions that spin (`for(;;){}`) until their 10 s timeout, against the same
 * run of A on the idle node, measured in the same process. A real server (default settings: two workers)
 * over a fresh database; A's latency is from the publish to its run-log entry being readable.
 *
 * Then the price of the fair claim: one claim of 32 runs in turns by organization against the old claim in
 * due order, over a backlog of due runs, interleaved in the same store.
 *
 *   npm run build && node --expose-gc dist/bench/fairness.bench.js    (TEST_DATABASE_URL adds PostgreSQL)
 */

import { claimDueRuns, insertRuns, releaseRuns } from "../src/runtime/runner/store.js";
import { newId } from "../src/store/ids.js";
import { type TestDatabase, testDatabases } from "../src/testing/databases.js";
import { startTestServer, type TestServer } from "../src/testing/server.js";

/** B's spinning runs per row: twice the sandbox threads of a default node (as in the report), then four times. */
const FLOODS = [4, 8];
const SPIN_TIMEOUT_MS = 10_000;
const BASELINE_ROUNDS = 5;

const TRIVIAL = "export default function process({ event }) { return { ok: event.data.n + 1 } }";
const SPIN = "export default function process() { for (;;) {} }";

interface Org {
  token: string;
  project: string;
}

async function call(server: TestServer, token: string, method: string, path: string, body?: unknown) {
  const res = await server.request(method, path, { token, ...(body !== undefined ? { body } : {}) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}

async function orgWithProject(server: TestServer, token: string, org: string): Promise<Org> {
  await call(server, token, "POST", `/v1/orgs/${org}/projects`, { slug: "web", name: "web" });
  return { token, project: `/v1/orgs/${org}/projects/web` };
}

/** Publishes `name` and resolves with the milliseconds until the run's log entry can be read. */
async function timedRun(server: TestServer, org: Org, name: string, n: number): Promise<number> {
  const started = performance.now();
  const eventId = (await call(server, org.token, "POST", `${org.project}/events`, { name, data: { n } }))
    .id as string;
  for (;;) {
    const { entries } = await call(server, org.token, "GET", `${org.project}/logs?limit=20`);
    const entry = (entries as { event: { id: string }; status: string }[]).find(
      (e) => e.event.id === eventId,
    );
    if (entry) {
      if (entry.status !== "success") throw new Error(`A's run failed: ${JSON.stringify(entry)}`);
      return performance.now() - started;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function runOn(database: TestDatabase): Promise<void> {
  const server = await startTestServer(database, { CLOAKROOM_LOG_LEVEL: "warn" });
  try {
    const { token } = await server.setup({ org: "org-a" });
    await call(server, token, "POST", "/v1/orgs", { slug: "org-b", name: "B" });
    const a = await orgWithProject(server, token, "org-a");
    const b = await orgWithProject(server, token, "org-b");
    await call(server, token, "POST", `${a.project}/logic`, { name: "ping", event: "ping", code: TRIVIAL });
    await call(server, token, "POST", `${b.project}/logic`, {
      name: "spin",
      event: "spin",
      code: SPIN,
      timeoutMs: SPIN_TIMEOUT_MS,
    });

    // Warm the sandbox threads and caches, then A alone.
    for (let i = 0; i < 3; i++) await timedRun(server, a, "ping", i);
    const alone: number[] = [];
    for (let i = 0; i < BASELINE_ROUNDS; i++) alone.push(await timedRun(server, a, "ping", i));
    const baseline = median(alone);
    console.log(`\n${database.name}: A alone, median of ${BASELINE_ROUNDS}: ${baseline.toFixed(0)} ms`);
    console.log(
      ["B's spinning runs", "A while B floods", "ratio to alone"].map((h) => h.padStart(18)).join(""),
    );

    let published = 0;
    for (const flood of FLOODS) {
      published += flood;
      for (let i = 0; i < flood; i++)
        await call(server, b.token, "POST", `${b.project}/events`, { name: "spin" });
      // Let the worker claim B's runs and the sandbox start them, as in the report.
      await new Promise((r) => setTimeout(r, 300));
      const during = await timedRun(server, a, "ping", flood);
      console.log(
        [String(flood), `${during.toFixed(0)} ms`, `${(during / baseline).toFixed(1)}x`]
          .map((c) => c.padStart(18))
          .join(""),
      );
      // B's runs end before the next row starts.
      for (;;) {
        const { entries } = await call(server, b.token, "GET", `${b.project}/logs?limit=100`);
        if ((entries as unknown[]).length >= published) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await server.close();
  }
}

const BACKLOGS = [2_000, 20_000];
const CLAIM = 32;
const CLAIM_ROUNDS = 30;

async function claimCost(database: TestDatabase): Promise<void> {
  console.log(
    `\n${database.name}: one claim of ${CLAIM} runs, median of ${CLAIM_ROUNDS} (ms); the big organization below its share, then at it`,
  );
  console.log(
    ["due runs (orgs)", "due order", "in turns", "ratio", "big one at share", "ratio"]
      .map((h) => h.padStart(18))
      .join(""),
  );
  const shares = {
    plain: undefined,
    below: { perOrg: 128, held: { "org-big": 100 } },
    full: { perOrg: 128, held: { "org-big": 128 } },
  };
  for (const backlog of BACKLOGS) {
    const store = await database.open();
    try {
      const at = new Date(Date.now() - 60_000).toISOString();
      // One organization with most of the backlog, nine with a little each.
      const runs = Array.from({ length: backlog }, (_, i) => ({
        id: newId(),
        orgId: i % 10 === 0 ? `org-${i % 9}` : "org-big",
        projectId: "p",
        consumerId: "c",
        eventId: "e",
        at,
      }));
      await store.transaction((tx) => insertRuns(tx, runs));
      const times = { plain: [] as number[], below: [] as number[], full: [] as number[] };
      for (let round = 0; round < CLAIM_ROUNDS; round++) {
        for (const kind of ["plain", "below", "full"] as const) {
          const now = new Date().toISOString();
          const t0 = performance.now();
          const claimed = await claimDueRuns(store.db, store.dialect, {
            worker: "w",
            now,
            lockedUntil: now,
            limit: CLAIM,
            shares: shares[kind],
          });
          times[kind].push(performance.now() - t0);
          await releaseRuns(
            store.db,
            "w",
            claimed.map((r) => r.id),
            at,
          );
        }
      }
      const [plain, below, full] = [median(times.plain), median(times.below), median(times.full)];
      console.log(
        [
          `${backlog} (10)`,
          plain.toFixed(2),
          below.toFixed(2),
          `${(below / plain).toFixed(1)}x`,
          full.toFixed(2),
          `${(full / plain).toFixed(1)}x`,
        ]
          .map((c) => c.padStart(18))
          .join(""),
      );
    } finally {
      await store.dispose();
    }
  }
}

for (const database of testDatabases()) await runOn(database);
for (const database of testDatabases()) await claimCost(database);

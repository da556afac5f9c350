/**
 * What SQLite's kept list columns cost the writes (decisions 0340 and 0365), this build against another
 * in one process, taking turns:
 *
 *   BENCH_BASE=/path/to/other/checkout/dist/src node dist/bench/list-writes.bench.js
 *
 * - bulk, distinct names: 100,000 organization secrets inserted in one transaction (batches of 100);
 * - bulk, overriding: 100 organization secrets, then 1,000 projects each with a secret of every one of
 *   their names, 100,100 inserts in one transaction (each project secret moves its namesake's count);
 * - API writes: a project secret that overrides an organization secret created and deleted, then a new
 *   organization secret created and deleted, through `inject` (CPU ms per round of four);
 * - SQL: an overriding project secret, or an organization secret, inserted and deleted (a transaction each);
 * - an organization secret with 1,000 project namesakes created and deleted through `inject` (every
 *   namesake's flag is written twice).
 *
 * Without BENCH_BASE only this build runs. BENCH_ROUNDS (default 3) rounds of each; the least is shown,
 * and the ratio of this build's least to the other's.
 */
import type { secretRow as SecretRow } from "../src/testing/databases.js";
import type { startTestServer as Start, TestServer } from "../src/testing/server.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PROJECTS = 1000;
const NAMES = 100;
const trees: Record<string, string> = { now: new URL("../src", import.meta.url).href };
if (process.env.BENCH_BASE) trees.base = `file://${process.env.BENCH_BASE}`;

interface Tree {
  startTestServer: typeof Start;
  secretRow: typeof SecretRow;
  sqlite: unknown;
}

async function load(root: string): Promise<Tree> {
  const databases = await import(`${root}/testing/databases.js`);
  const { startTestServer } = await import(`${root}/testing/server.js`);
  const sqlite = (databases.testDatabases() as { name: string }[]).find((d) => d.name === "sqlite");
  return { startTestServer, secretRow: databases.secretRow, sqlite };
}

/** A fresh server with its organization; `orgId` and a request through `inject`. */
async function fresh(tree: Tree) {
  const server: TestServer = await tree.startTestServer(tree.sqlite as never, {
    CLOAKROOM_LOG_LEVEL: "silent",
  });
  const { token } = await server.setup();
  const db = server.cloakroom.store.db;
  const orgId = (await db.selectFrom("orgs").select("id").executeTakeFirstOrThrow()).id;
  const auth = { authorization: `Bearer ${token}` };
  const call = async (method: "POST" | "DELETE", url: string, body?: unknown) => {
    const headers = body ? { ...auth, "content-type": "application/json" } : auth;
    const payload = body ? JSON.stringify(body) : undefined;
    const res = await server.cloakroom.app.inject({ method, url, headers, payload });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  };
  const projects = async (count: number) => {
    const now = new Date().toISOString();
    const rows = Array.from({ length: count }, (_, p) => ({
      ...{ id: `bench-project-${p}`, org_id: orgId, slug: `p${p}`, name: `P${p}`, created_at: now },
    }));
    for (let i = 0; i < rows.length; i += 200)
      await db
        .insertInto("projects")
        .values(rows.slice(i, i + 200))
        .execute();
  };
  return { server, db, orgId, call, projects };
}

const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/**
 * A secret inserted and deleted in a transaction each (what the service's writes do, with their commit),
 * 200 times, in an organization of 100 secrets with a project; `overriding`: a project secret of one of
 * their names, else an organization secret of a new name. µs per pair, wall time.
 */
async function sqlWrites(tree: Tree, overriding: boolean): Promise<number> {
  const { server, db, orgId } = await fresh(tree);
  const store = server.cloakroom.store;
  const rows = Array.from({ length: NAMES }, (_, i) =>
    tree.secretRow({ orgId, projectId: null, name: `S_${i}`, by: "bench" }),
  );
  await db.insertInto("secrets").values(rows).execute();
  await db
    .insertInto("projects")
    .values({ id: "bench-web", org_id: orgId, slug: "web", name: "Web", created_at: "" })
    .execute();
  const started = process.hrtime.bigint();
  for (let k = 0; k < 200; k++) {
    const name = overriding ? `S_${k % NAMES}` : `NEW_${k}`;
    const row = tree.secretRow({ orgId, projectId: overriding ? "bench-web" : null, name, by: "bench" });
    await store.transaction((tx) => tx.insertInto("secrets").values(row).execute());
    await store.transaction((tx) => tx.deleteFrom("secrets").where("id", "=", row.id).execute());
  }
  const took = ms(started) * 5;
  await server.close();
  return took;
}

/** Each workload: one measurement of a fresh server, in ms. */
const workloads: Record<string, (tree: Tree) => Promise<number>> = {
  "bulk, 100,000 distinct names (ms)": async (tree) => {
    const { server, orgId } = await fresh(tree);
    const started = process.hrtime.bigint();
    await server.cloakroom.store.transaction(async (tx) => {
      for (let b = 0; b < 1000; b++) {
        const rows = Array.from({ length: 100 }, (_, i) =>
          tree.secretRow({ orgId, projectId: null, name: `S_${b}_${i}`, by: "bench" }),
        );
        await tx.insertInto("secrets").values(rows).execute();
      }
    });
    const took = ms(started);
    await server.close();
    return took;
  },
  "bulk, 1,000 projects x 100 overriding (ms)": async (tree) => {
    const { server, orgId, projects } = await fresh(tree);
    await projects(PROJECTS);
    const started = process.hrtime.bigint();
    await server.cloakroom.store.transaction(async (tx) => {
      const names = Array.from({ length: NAMES }, (_, i) => `S_${i}`);
      for (const name of names)
        await tx
          .insertInto("secrets")
          .values(tree.secretRow({ orgId, projectId: null, name, by: "bench" }))
          .execute();
      for (let p = 0; p < PROJECTS; p++) {
        const rows = names.map((name) =>
          tree.secretRow({ orgId, projectId: `bench-project-${p}`, name, by: "bench" }),
        );
        await tx.insertInto("secrets").values(rows).execute();
      }
    });
    const took = ms(started);
    await server.close();
    return took;
  },
  "SQL: overriding project secret, insert + delete (µs)": async (tree) => sqlWrites(tree, true),
  "SQL: organization secret, insert + delete (µs)": async (tree) => sqlWrites(tree, false),
  "API: 2 creates + 2 deletes (CPU ms, per round)": async (tree) => {
    const { server, call } = await fresh(tree);
    for (let p = 0; p < 10; p++)
      await call("POST", "/v1/orgs/acme/projects", { slug: `web${p}`, name: `Web ${p}` });
    for (let i = 0; i < NAMES; i++)
      await call("POST", "/v1/orgs/acme/secrets", {
        name: `S_${i}`,
        type: "token",
        value: `bench-${i}-0123456789`,
      });
    const value = { type: "token", value: "bench-value-0123456789" };
    const started = process.cpuUsage();
    for (let k = 0; k < 100; k++) {
      const project = `/v1/orgs/acme/projects/web${k % 10}/secrets`;
      await call("POST", project, { name: `S_${k % NAMES}`, ...value });
      await call("DELETE", `${project}/S_${k % NAMES}`);
      await call("POST", "/v1/orgs/acme/secrets", { name: `NEW_${k}`, ...value });
      await call("DELETE", `/v1/orgs/acme/secrets/NEW_${k}`);
    }
    const took = cpuMs(started) / 100;
    await server.close();
    return took;
  },
  "API: org secret with 1,000 namesakes, create + delete (CPU ms)": async (tree) => {
    const { server, orgId, projects, call } = await fresh(tree);
    await projects(PROJECTS);
    await server.cloakroom.store.transaction(async (tx) => {
      for (let p = 0; p < PROJECTS; p++)
        await tx
          .insertInto("secrets")
          .values(tree.secretRow({ orgId, projectId: `bench-project-${p}`, name: "SHARED", by: "bench" }))
          .execute();
    });
    const started = process.cpuUsage();
    for (let k = 0; k < 20; k++) {
      await call("POST", "/v1/orgs/acme/secrets", {
        name: "SHARED",
        type: "token",
        value: "shared-0123456789",
      });
      await call("DELETE", "/v1/orgs/acme/secrets/SHARED");
    }
    const took = cpuMs(started) / 20;
    await server.close();
    return took;
  },
};

const loaded: Record<string, Tree> = {};
for (const [name, root] of Object.entries(trees)) loaded[name] = await load(root);
console.log(`Node ${process.version}; least of ${ROUNDS} rounds, the builds taking turns`);
console.log(
  `${"workload".padEnd(66)}${Object.keys(loaded)
    .map((n) => n.padStart(10))
    .join("")}  now/base`,
);
for (const [workload, run] of Object.entries(workloads)) {
  const least: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, tree] of Object.entries(loaded))
      least[name] = Math.min(least[name] ?? Infinity, await run(tree));
  const cells = Object.values(least).map((v) => v.toFixed(v < 20 ? 2 : 0).padStart(10));
  const ratio = least.base ? (least.now! / least.base).toFixed(2).padStart(10) : "";
  console.log(`${workload.padEnd(66)}${cells.join("")}${ratio}`);
}

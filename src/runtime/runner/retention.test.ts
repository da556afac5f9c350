import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import pino from "pino";
import { seedProject, type TestStore, testDatabases } from "../../testing/databases.js";
import { createRetention } from "./retention.js";
import { reclaimExpired } from "./store.js";

const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
/** A UUIDv7 made at `ms`, like newId() at that time. */
const idAt = (ms: number) => {
  const hex = ms.toString(16).padStart(12, "0") + randomBytes(10).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

for (const database of testDatabases()) {
  describe(`run retention on ${database.name}`, () => {
    let store: TestStore;
    const ids = { orgId: "org-r", projectId: "proj-r" };
    before(async () => {
      store = await database.open();
      await seedProject(store, ids);
    });
    after(async () => {
      await store.dispose();
    });

    /** An event with one run in `status`, last updated at `at`, and its run-log entry when finished. */
    async function history(at: number, status: "pending" | "running" | "success" | "failure") {
      const eventId = idAt(at);
      const runId = idAt(at);
      await store.db
        .insertInto("events")
        .values({
          id: eventId,
          ...{ org_id: ids.orgId, project_id: ids.projectId },
          name: "e",
          data: "{}",
          published_at: iso(at),
        })
        .execute();
      await store.db
        .insertInto("runs")
        .values({
          id: runId,
          org_id: ids.orgId,
          project_id: ids.projectId,
          consumer_id: "c",
          event_id: eventId,
          status,
          attempts: 1,
          next_attempt_at: iso(at),
          locked_by: status === "running" ? "w" : null,
          locked_until: status === "running" ? iso(at + 30_000) : null,
          created_at: iso(at),
          updated_at: iso(at),
        })
        .execute();
      if (status === "success" || status === "failure") {
        await store.db
          .insertInto("run_logs")
          .values({
            id: idAt(at),
            org_id: ids.orgId,
            project_id: ids.projectId,
            consumer_id: "c",
            run_id: runId,
            status,
            started_at: iso(at),
            entry: "{}",
          })
          .execute();
      }
      return { eventId, runId };
    }

    const count = async (table: "runs" | "run_logs" | "events") =>
      Number(
        (
          await store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );

    test("finished runs, their log entries and events past retention are deleted in batches; the rest stays", async () => {
      const now = Date.now();
      const old = now - 31 * DAY;
      for (let i = 0; i < 7; i++) await history(old - i * 1000, i % 2 === 0 ? "success" : "failure");
      // Unfinished runs are never deleted, however old, nor is the event they still need.
      const stuck = await history(old, "pending");
      const leased = await history(old, "running");
      const recent = await history(now - 29 * DAY, "success");

      const retention = createRetention({
        store,
        logger: pino({ level: "silent" }),
        retentionDays: 30,
        batch: 3,
      });
      const deleted = await retention.runOnce();
      assert.deepEqual(deleted, { runs: 7, runLogs: 7, events: 7 });

      const runs = await store.db.selectFrom("runs").select("id").orderBy("id").execute();
      assert.deepEqual(runs.map((r) => r.id).sort(), [stuck.runId, leased.runId, recent.runId].sort());
      const events = await store.db.selectFrom("events").select("id").execute();
      assert.deepEqual(
        events.map((e) => e.id).sort(),
        [stuck.eventId, leased.eventId, recent.eventId].sort(),
      );
      assert.equal(await count("run_logs"), 1);

      // Idempotent: a second pass (another node's) finds nothing more.
      assert.deepEqual(await retention.runOnce(), { runs: 0, runLogs: 0, events: 0 });
      await retention.stop();
    });

    test("retention 0 keeps everything", async () => {
      await history(Date.now() - 400 * DAY, "success");
      const before = await count("runs");
      const retention = createRetention({ store, logger: pino({ level: "silent" }), retentionDays: 0 });
      assert.deepEqual(await retention.runOnce(), { runs: 0, runLogs: 0, events: 0 });
      assert.equal(await count("runs"), before);
    });

    test("the lease-reclaim query reads the running runs' index, not the finished history", async () => {
      await store.db.deleteFrom("runs").execute();
      const now = Date.now();
      const rows = Array.from({ length: 2000 }, (_, i) => ({
        id: idAt(now - DAY + i),
        org_id: ids.orgId,
        project_id: ids.projectId,
        consumer_id: "c",
        event_id: "e",
        status: "success" as const,
        attempts: 1,
        next_attempt_at: iso(now - DAY + i),
        locked_by: null,
        locked_until: null,
        created_at: iso(now - DAY),
        updated_at: iso(now - DAY),
      }));
      for (let i = 0; i < rows.length; i += 200)
        await store.db
          .insertInto("runs")
          .values(rows.slice(i, i + 200))
          .execute();
      const expired = await history(now - 60_000, "running");
      await sql`analyze runs`.execute(store.db);
      assert.equal(
        await reclaimExpired(store.db, iso(now)),
        1,
        "the expired lease was returned to the queue",
      );
      const runs = await store.db
        .selectFrom("runs")
        .select("status")
        .where("id", "=", expired.runId)
        .executeTakeFirstOrThrow();
      assert.equal(runs.status, "pending");
      const plan =
        store.dialect === "postgres"
          ? (
              await sql<{
                "QUERY PLAN": string;
              }>`explain update runs set status = 'pending' where status = 'running' and locked_until <= ${iso(now)}`.execute(
                store.db,
              )
            ).rows.map((r) => r["QUERY PLAN"])
          : (
              await sql<{
                detail: string;
              }>`explain query plan update runs set status = 'pending' where status = 'running' and locked_until <= ${iso(now)}`.execute(
                store.db,
              )
            ).rows.map((r) => r.detail);
      assert.match(plan.join("\n"), /runs_leased/, `the plan does not use runs_leased:\n${plan.join("\n")}`);
    });
  });
}

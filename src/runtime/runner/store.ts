/**
 * The durable run queue (X1, D2). Every run is a row in `runs`; a worker owns it while
 * `locked_by` names it and `locked_until` is in the future, and every later write is conditional on that
 * ownership, so a worker whose lease expired cannot overwrite what another worker did since.
 *
 * The run log's queries are in run-log-store.ts, retention's in retention-store.ts; both are re-exported
 * here, so callers keep one import.
 */
import { sql } from "kysely";
import { INSERT_CHUNK_ROWS, inChunks } from "../../store/chunks.js";
import type { Dialect, Tx } from "../../store/db.js";
import type { RunsTable } from "../../store/schema.js";
import type { RunEvent, RunStatus } from "./schema.js";

export type RunRow = RunsTable;

export type EventRow = RunEvent & { orgId: string; projectId: string };

/** The columns that place an event or a run: its id, organization and project. */
const scopeColumns = (row: { id: string; orgId: string; projectId: string }) => ({
  id: row.id,
  org_id: row.orgId,
  project_id: row.projectId,
});

export async function insertEvents(tx: Tx, events: EventRow[]): Promise<void> {
  await inChunks(events, INSERT_CHUNK_ROWS, (chunk) => {
    const rows = chunk.map((event) => ({
      ...scopeColumns(event),
      name: event.name,
      data: JSON.stringify(event.data),
      published_at: event.publishedAt,
    }));
    return tx.insertInto("events").values(rows).execute();
  });
}

export async function insertRuns(
  tx: Tx,
  runs: { id: string; orgId: string; projectId: string; consumerId: string; eventId: string; at: string }[],
): Promise<void> {
  // A very wide fan-out writes many rows.
  await inChunks(runs, INSERT_CHUNK_ROWS, (chunk) => {
    const rows = chunk.map((r) => ({
      ...scopeColumns(r),
      consumer_id: r.consumerId,
      event_id: r.eventId,
      status: "pending" as const,
      attempts: 0,
      next_attempt_at: r.at,
      locked_by: null,
      locked_until: null,
      created_at: r.at,
      updated_at: r.at,
    }));
    return tx.insertInto("runs").values(rows).execute();
  });
}

/** A fair claim ranks this many times its limit of the first due runs (at least CLAIM_WINDOW_MIN). */
const CLAIM_WINDOW_FACTOR = 4;
const CLAIM_WINDOW_MIN = 256;

/** Per-organization limits of a claim (see fairness.ts): what this worker already holds of each. */
export interface ClaimShares {
  /** Runs one organization may hold. */
  perOrg: number;
  /** Runs this worker holds per organization (organizations it holds none of are left out). */
  held: Record<string, number>;
}

/**
/**
 * Claims up to `limit` due pending runs for `worker` until `lockedUntil`. The attempt is not counted here
 * but when the run starts executing (`startRuns`): a claimed run may wait in the worker's memory, and if its
 * node dies first it has not been tried. One statement: on SQLite it runs under the database's single write
 * lock; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets nodes claim side by side without waiting on or
 * double-claiming each other's rows.
 *
 * Without `shares`, oldest due first; the due test is one index range (status, next_attempt_at). With
 * `shares`, in turns by organization among the first due runs (a window of a few times `limit`): an
 * organization's k-th due run comes at turn k + the runs this worker holds of it, turns are taken in order
 * (due order within a turn), and no organization goes past `perOrg`. Organizations already at their share
 * are left out of the scan.
 */
export async function claimDueRuns(
  db: Tx,
  dialect: Dialect,
  claim: {
    worker: string;
    now: string;
    lockedUntil: string;
    limit: number;
    shares?: ClaimShares | undefined;
  },
): Promise<RunRow[]> {
  const shares = claim.shares;
  const set = {
    status: "running" as const,
    locked_by: claim.worker,
    locked_until: claim.lockedUntil,
    updated_at: claim.now,
  };
  if (!shares) {
    return db
      .with("due", (qc) => {
        const due = qc
          .selectFrom("runs")
          .select("id")
          .where("status", "=", "pending")
          .where("next_attempt_at", "<=", claim.now)
          .orderBy("next_attempt_at")
          .limit(claim.limit);
        // A locking CTE is evaluated once, never inlined, so LIMIT holds and no row is claimed twice.
        return dialect === "postgres" ? due.forUpdate().skipLocked() : due;
      })
      .updateTable("runs")
      .set(set)
      .where("id", "in", (eb) => eb.selectFrom("due").select("due.id"))
      .returningAll()
      .execute();
  }
  const held = Object.entries(shares.held).filter(([, n]) => Number.isInteger(n) && n > 0);
  const full = held.filter(([, n]) => n >= shares.perOrg).map(([org]) => org);
  // The runs this worker holds of an organization push its turns back (integers, written as literals).
  const offset =
    held.length === 0
      ? sql<number>`0`
      : sql<number>`case ${sql.join(
          held.map(([org, n]) => sql`when org_id = ${org} then ${sql.lit(n)}`),
          sql` `,
        )} else 0 end`;
  return db
    .with("first_due", (qc) => {
      // The first due runs of the organizations below their share: one range of the due index, so the
      // claim's cost does not grow with the backlog. An organization whose runs lie beyond the window gets
      // its turn once the ones ahead of it reach their share and drop out of the scan.
      let firstDue = qc
        .selectFrom("runs")
        .select(["id", "org_id", "next_attempt_at"])
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", claim.now);
      if (full.length > 0) firstDue = firstDue.where("org_id", "not in", full);
      return firstDue
        .orderBy("next_attempt_at")
        .limit(Math.max(CLAIM_WINDOW_MIN, CLAIM_WINDOW_FACTOR * claim.limit));
    })
    .with("ranked", (qc) =>
      qc
        .selectFrom("first_due")
        .select([
          "id",
          "next_attempt_at",
          sql<number>`row_number() over (partition by org_id order by next_attempt_at, id) + ${offset}`.as(
            "turn",
          ),
        ]),
    )
    .with("due", (qc) => {
      const due = qc
        .selectFrom("runs")
        .innerJoin("ranked", "ranked.id", "runs.id")
        .select("runs.id")
        // Checked again on the locked row: a run another node claimed since the scan is skipped.
        .where("runs.status", "=", "pending")
        .where("ranked.turn", "<=", shares.perOrg)
        .orderBy("ranked.turn")
        .orderBy("ranked.next_attempt_at")
        .limit(claim.limit);
      // A locking CTE is evaluated once, never inlined, so LIMIT holds and no row is claimed twice.
      return dialect === "postgres" ? due.forUpdate("runs").skipLocked() : due;
    })
    .updateTable("runs")
    .set(set)
    .where("id", "in", (eb) => eb.selectFrom("due").select("due.id"))
    .returningAll()
    .execute();
}

/**
 * Puts runs whose lease expired (their worker died or hung) back in the queue, due now. Their interrupted
 * attempt stays counted. Returns how many.
 */
export async function reclaimExpired(db: Tx, now: string): Promise<number> {
  const result = await db
    .updateTable("runs")
    .set({ status: "pending", next_attempt_at: now, locked_by: null, locked_until: null, updated_at: now })
    // A literal, not a parameter: SQLite uses the partial index runs_leased only when it can see the value.
    .where("status", "=", sql.lit("running"))
    .where("locked_until", "<=", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Counts an attempt for each run that starts executing now; one statement for all of them. Returns each
 * run this worker still owns with its attempt number (1 for the first); a run missing from the answer was
 * taken by another worker after this one's lease expired, and must not run here.
 */
export async function startRuns(db: Tx, worker: string, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .updateTable("runs")
    .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
    .where("locked_by", "=", worker)
    .where("status", "=", "running")
    .where("id", "in", ids)
    .returning(["id", "attempts"])
    .execute();
  return new Map(rows.map((r) => [r.id, Number(r.attempts)]));
}

/** Extends the leases of the runs a worker still holds. */
export async function renewLeases(db: Tx, worker: string, ids: string[], lockedUntil: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable("runs")
    .set({ locked_until: lockedUntil })
    .where("locked_by", "=", worker)
    .where("status", "=", "running")
    .where("id", "in", ids)
    .execute();
}

/** Puts a run back in the queue for a later attempt. False when the worker no longer owns it. */
export async function scheduleRetry(
  db: Tx,
  worker: string,
  id: string,
  at: { now: string; nextAttemptAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable("runs")
    .set({
      status: "pending",
      next_attempt_at: at.nextAttemptAt,
      locked_by: null,
      locked_until: null,
      updated_at: at.now,
    })
    .where("id", "=", id)
    .where("locked_by", "=", worker)
    .where("status", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Ends runs, each with its status, and returns the ids the worker still owned (the others were taken by
 * another worker after this one's lease expired: their outcome is that worker's to record).
 */
export async function finishRuns(
  db: Tx,
  worker: string,
  runs: { id: string; status: RunStatus }[],
  now: string,
): Promise<Set<string>> {
  const owned = new Set<string>();
  for (const status of ["success", "failure"] as const) {
    const ids = runs.filter((r) => r.status === status).map((r) => r.id);
    if (ids.length === 0) continue;
    const rows = await db
      .updateTable("runs")
      .set({ status, locked_by: null, locked_until: null, updated_at: now })
      .where("id", "in", ids)
      .where("locked_by", "=", worker)
      .where("status", "=", "running")
      .returning("id")
      .execute();
    for (const row of rows) owned.add(row.id);
  }
  return owned;
}

/**
 * Hands unfinished runs back (shutdown, a failed load) so another worker, or this node after a restart,
 * takes them at once. `started`: they began an attempt that did not run to an outcome, and it is given back;
 * runs that never started were not charged one.
 */
export async function releaseRuns(
  db: Tx,
  worker: string,
  ids: string[],
  now: string,
  started = false,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable("runs")
    .set((eb) => ({
      status: "pending",
      attempts: started
        ? eb
            .case()
            .when("attempts", ">", 0)
            .then(eb("attempts", "-", 1))
            .else(0)
            .end()
        : eb.ref("attempts"),
      next_attempt_at: now,
      locked_by: null,
      locked_until: null,
      updated_at: now,
    }))
    .where("locked_by", "=", worker)
    .where("status", "=", "running")
    .where("id", "in", ids)
    .execute();
}

export async function eventsByIds(db: Tx, ids: string[]): Promise<Map<string, RunEvent>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("events").selectAll().where("id", "in", ids).execute();
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, name: r.name, data: JSON.parse(r.data) as unknown, publishedAt: r.published_at },
    ]),
  );
}

export {
  deleteFinishedRuns,
  deleteOldEvents,
  deleteRunLogs,
} from "./retention-store.js";
export {
  insertRunLog,
  insertRunLogs,
  listRunLogPage,
  listRunLogs,
  type RunLogRow,
} from "./run-log-store.js";

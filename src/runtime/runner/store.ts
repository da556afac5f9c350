/**
 * The durable run queue (X1, D2) and the run log. Every run is a row in `runs`; a worker owns it while
 * `locked_by` names it and `locked_until` is in the future, and every later write is conditional on that
 * ownership, so a worker whose lease expired cannot overwrite what another worker did since.
 */
import { sql } from "kysely";
import type { Dialect, Tx } from "../../store/db.js";
import type { RunsTable } from "../../store/schema.js";
import type { RunEvent, RunLogEntry, RunStatus } from "./schema.js";

export type RunRow = RunsTable;

export type EventRow = RunEvent & { orgId: string; projectId: string };

export async function insertEvents(tx: Tx, events: EventRow[]): Promise<void> {
  // Chunks keep each statement under SQLite's bound-parameter limit.
  for (let i = 0; i < events.length; i += 500) {
    await tx
      .insertInto("events")
      .values(
        events.slice(i, i + 500).map((event) => ({
          id: event.id,
          org_id: event.orgId,
          project_id: event.projectId,
          name: event.name,
          data: JSON.stringify(event.data),
          published_at: event.publishedAt,
        })),
      )
      .execute();
  }
}

export async function insertRuns(
  tx: Tx,
  runs: { id: string; orgId: string; projectId: string; consumerId: string; eventId: string; at: string }[],
): Promise<void> {
  // Chunks keep each statement under SQLite's bound-parameter limit for a very wide fan-out.
  for (let i = 0; i < runs.length; i += 500) {
    await tx
      .insertInto("runs")
      .values(
        runs.slice(i, i + 500).map((r) => ({
          id: r.id,
          org_id: r.orgId,
          project_id: r.projectId,
          consumer_id: r.consumerId,
          event_id: r.eventId,
          status: "pending" as const,
          attempts: 0,
          next_attempt_at: r.at,
          locked_by: null,
          locked_until: null,
          created_at: r.at,
          updated_at: r.at,
        })),
      )
      .execute();
  }
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

export interface RunLogRow {
  orgId: string;
  projectId: string;
  runId: string | null;
  entry: RunLogEntry;
}

/**
 * Stores entries and counts their size against their organization's run-log usage. With `quotaBytes`, an
 * organization past it loses its oldest entries (never the ones just stored) until it is back under 90%
 * of it, so pruning happens in batches rather than on every insert.
 */
export async function insertRunLogs(db: Tx, logs: RunLogRow[], quotaBytes?: number): Promise<void> {
  const added = new Map<string, number>();
  for (let i = 0; i < logs.length; i += 100) {
    const rows = logs.slice(i, i + 100).map((log) => ({
      id: log.entry.id,
      org_id: log.orgId,
      project_id: log.projectId,
      consumer_id: log.entry.consumer.id,
      run_id: log.runId,
      status: log.entry.status,
      started_at: log.entry.startedAt,
      entry: JSON.stringify(log.entry),
    }));
    for (const row of rows) added.set(row.org_id, (added.get(row.org_id) ?? 0) + row.entry.length);
    await db.insertInto("run_logs").values(rows).execute();
  }
  const fresh = new Set(logs.map((l) => l.entry.id));
  for (const [orgId, bytes] of [...added].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const usage = await db
      .insertInto("run_log_usage")
      .values({ org_id: orgId, bytes })
      .onConflict((oc) =>
        oc
          .column("org_id")
          .doUpdateSet((eb) => ({ bytes: eb("run_log_usage.bytes", "+", eb.ref("excluded.bytes")) })),
      )
      .returning("bytes")
      .executeTakeFirstOrThrow();
    if (quotaBytes !== undefined && Number(usage.bytes) > quotaBytes)
      await pruneRunLogs(db, orgId, Number(usage.bytes) - Math.floor(quotaBytes * 0.9), fresh);
  }
}

/** Deletes the organization's oldest entries until `toFree` characters are gone, sparing `keep`. */
async function pruneRunLogs(db: Tx, orgId: string, toFree: number, keep: Set<string>): Promise<void> {
  let freed = 0;
  let after: string | undefined;
  while (freed < toFree) {
    let query = db
      .selectFrom("run_logs")
      .select(["id", sql<number>`length(entry)`.as("size")])
      .where("org_id", "=", orgId)
      .orderBy("id", "asc")
      .limit(200);
    if (after !== undefined) query = query.where("id", ">", after);
    const batch = await query.execute();
    if (batch.length === 0) break;
    const ids: string[] = [];
    for (const row of batch) {
      after = row.id;
      if (keep.has(row.id)) continue;
      ids.push(row.id);
      freed += Number(row.size);
      if (freed >= toFree) break;
    }
    if (ids.length > 0) await db.deleteFrom("run_logs").where("id", "in", ids).execute();
  }
  if (freed > 0)
    await db
      .updateTable("run_log_usage")
      .set((eb) => ({ bytes: eb("bytes", "-", freed) }))
      .where("org_id", "=", orgId)
      .execute();
}

export const insertRunLog = (db: Tx, log: RunLogRow, quotaBytes?: number): Promise<void> =>
  insertRunLogs(db, [log], quotaBytes);

/**
 * Newest first; `before` is the id of the last entry of the previous page (ids are time-ordered). The page
 * stops before `maxBytes` of stored entries (one entry at least), reading sizes before bodies, so a few huge
 * entries cannot make one answer huge; `next` is the `before` of the following page when there may be one.
 */
export async function listRunLogPage(
  db: Tx,
  q: {
    projectId: string;
    consumerId?: string | undefined;
    before?: string | undefined;
    limit: number;
    maxBytes: number;
  },
): Promise<{ entries: RunLogEntry[]; next?: string }> {
  let query = db
    .selectFrom("run_logs")
    .select(["id", sql<number>`length(entry)`.as("size")])
    .where("project_id", "=", q.projectId)
    .orderBy("id", "desc")
    .limit(q.limit);
  if (q.consumerId !== undefined) query = query.where("consumer_id", "=", q.consumerId);
  if (q.before !== undefined) query = query.where("id", "<", q.before);
  const sizes = await query.execute();
  const ids: string[] = [];
  let bytes = 0;
  for (const row of sizes) {
    bytes += Number(row.size);
    if (ids.length > 0 && bytes > q.maxBytes) break;
    ids.push(row.id);
  }
  if (ids.length === 0) return { entries: [] };
  const rows = await db
    .selectFrom("run_logs")
    .select("entry")
    .where("id", "in", ids)
    .orderBy("id", "desc")
    .execute();
  const entries = rows.map((r) => JSON.parse(r.entry) as RunLogEntry);
  const full = ids.length === q.limit || ids.length < sizes.length;
  return full ? { entries, next: ids[ids.length - 1]! } : { entries };
}

/** Newest first, without a byte bound: for tests and tools that read a known, small log. */
export async function listRunLogs(
  db: Tx,
  q: { projectId: string; consumerId?: string | undefined; before?: string | undefined; limit: number },
): Promise<RunLogEntry[]> {
  return (await listRunLogPage(db, { ...q, maxBytes: Number.POSITIVE_INFINITY })).entries;
}

// ---- retention (see retention.ts) ----

/** The smallest UUIDv7 of a millisecond: every id made before `ms` sorts below it. */
function firstIdAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/**
 * Deletes up to `limit` finished runs last updated before `before`. A finished run was due before it
 * ended, so the due-index range (status, next_attempt_at) finds them without reading the rest.
 */
export async function deleteFinishedRuns(db: Tx, before: string, limit: number): Promise<number> {
  let deleted = 0;
  for (const status of ["success", "failure"] as const) {
    const result = await db
      .deleteFrom("runs")
      .where("id", "in", (eb) =>
        eb
          .selectFrom("runs")
          .select("id")
          .where("status", "=", status)
          .where("next_attempt_at", "<", before)
          .where("updated_at", "<", before)
          .limit(limit - deleted),
      )
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
    if (deleted >= limit) break;
  }
  return deleted;
}

/** Deletes up to `limit` run-log entries started before `before` (ids are time-ordered: a key range). */
export async function deleteRunLogs(db: Tx, before: string, limit: number): Promise<number> {
  const bound = firstIdAt(Date.parse(before));
  const result = await db
    .deleteFrom("run_logs")
    .where("id", "in", (eb) =>
      eb
        .selectFrom("run_logs")
        .select("id")
        .where("id", "<", bound)
        .where("started_at", "<", before)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes up to `limit` events published before `before` that no unfinished run still needs. */
export async function deleteOldEvents(db: Tx, before: string, limit: number): Promise<number> {
  const bound = firstIdAt(Date.parse(before));
  const result = await db
    .deleteFrom("events")
    .where("id", "in", (eb) =>
      eb
        .selectFrom("events as e")
        .select("e.id")
        .where("e.id", "<", bound)
        .where("e.published_at", "<", before)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("runs as r")
                .select("r.id")
                .whereRef("r.event_id", "=", "e.id")
                .where("r.status", "in", ["pending", "running"]),
            ),
          ),
        )
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deleting what retention (retention.ts) no longer keeps: finished runs, run-log entries and events past
 * their age, a bounded batch at a time.
 */
import type { OperandExpression } from "kysely";
import type { Tx } from "../../store/db.js";

/** The smallest UUIDv7 of a millisecond: every id made before `ms` sorts below it. */
function firstIdAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/** Deletes the rows of `table` whose ids `batch` selects; answers how many went. */
async function deleteBatch(
  db: Tx,
  table: "runs" | "run_logs" | "events",
  batch: OperandExpression<string>,
): Promise<number> {
  const result = await db.deleteFrom(table).where("id", "in", batch).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes up to `limit` finished runs last updated before `before`. A finished run was due before it
 * ended, so the due-index range (status, next_attempt_at) finds them without reading the rest.
 */
export async function deleteFinishedRuns(db: Tx, before: string, limit: number): Promise<number> {
  let deleted = 0;
  for (const status of ["success", "failure"] as const) {
    const batch = db
      .selectFrom("runs")
      .select("id")
      .where("status", "=", status)
      .where("next_attempt_at", "<", before)
      .where("updated_at", "<", before)
      .limit(limit - deleted);
    deleted += await deleteBatch(db, "runs", batch);
    if (deleted >= limit) break;
  }
  return deleted;
}

/** Deletes up to `limit` run-log entries started before `before` (ids are time-ordered: a key range). */
export async function deleteRunLogs(db: Tx, before: string, limit: number): Promise<number> {
  const bound = firstIdAt(Date.parse(before));
  return deleteBatch(
    db,
    "run_logs",
    db
      .selectFrom("run_logs")
      .select("id")
      .where("id", "<", bound)
      .where("started_at", "<", before)
      .limit(limit),
  );
}

/** Deletes up to `limit` events published before `before` that no unfinished run still needs. */
export async function deleteOldEvents(db: Tx, before: string, limit: number): Promise<number> {
  const bound = firstIdAt(Date.parse(before));
  const batch = db
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
    .limit(limit);
  return deleteBatch(db, "events", batch);
}

/**
 * The run log: one redacted entry per ended run (X6), counted against its organization's quota, and read
 * back a page at a time.
 */
import { sql } from "kysely";
import type { Tx } from "../../store/db.js";
import type { RunLogEntry } from "./schema.js";

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

/** Counts by status, for tests and the durability check. */
export async function runCounts(db: Tx, projectId?: string): Promise<Record<string, number>> {
  let query = db
    .selectFrom("runs")
    .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy("status");
  if (projectId !== undefined) query = query.where("project_id", "=", projectId);
  const rows = await query.execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

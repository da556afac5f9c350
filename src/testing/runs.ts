/**
 * Test support below the HTTP layer: rows a runner test needs in the database before it queues runs.
 */
import type { Store } from "../store/db.js";

/** Inserts an enabled logic consumer (1 s timeout, 64 MB) of the given project, for runner tests. */
export async function seedLogicConsumer(
  store: Store,
  ids: { consumerId: string; orgId: string; projectId: string },
): Promise<void> {
  const at = new Date().toISOString();
  await store.db
    .insertInto("consumers")
    .values({
      id: ids.consumerId,
      org_id: ids.orgId,
      project_id: ids.projectId,
      kind: "logic",
      name: "fn",
      event: "",
      enabled: 1,
      config: JSON.stringify({ code: "x", timeoutMs: 1000, memoryMb: 64 }),
      created_at: at,
      updated_at: at,
    })
    .execute();
}

/** Empties the run queue and the run log, so each test starts from no runs. */
export async function clearRuns(store: Store): Promise<void> {
  await store.db.deleteFrom("runs").execute();
  await store.db.deleteFrom("run_logs").execute();
}

/**
 * Installation rows: consumers of kind `installation` (SPEC X8), looked up by name. Writes go through the
 * consumers store, so `consumer_secrets` stays the one record of what a consumer declares (usage counts,
 * the delete guard).
 */
import type { ConsumerRow } from "../consumers/store.js";
import type { Tx } from "../store/db.js";
import type { InstallationConfig } from "./schema.js";

export async function findInstallationRow(
  db: Tx,
  projectId: string,
  name: string,
): Promise<ConsumerRow | undefined> {
  return db
    .selectFrom("consumers")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("kind", "=", "installation")
    .where("name", "=", name)
    .executeTakeFirst();
}

export async function listInstallationRows(db: Tx, projectId: string): Promise<ConsumerRow[]> {
  return db
    .selectFrom("consumers")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("kind", "=", "installation")
    .orderBy("name")
    .execute();
}

export function parseInstallationConfig(row: ConsumerRow): InstallationConfig {
  return JSON.parse(row.config) as InstallationConfig;
}

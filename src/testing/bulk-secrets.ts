/**
 * Inserts many secrets' metadata rows at once (list tests and benches). The rows have no versions: they
 * serve the list, which reads metadata only, never a value.
 */

import type { Store } from "../store/db.js";
import { secretRow } from "./databases.js";

export async function insertSecretRows(
  store: Store,
  options: { orgSlug: string; projectSlug?: string; names: string[] },
): Promise<void> {
  const org = await store.db
    .selectFrom("orgs")
    .select("id")
    .where("slug", "=", options.orgSlug)
    .executeTakeFirstOrThrow();
  let projectId: string | null = null;
  if (options.projectSlug !== undefined) {
    const p = await store.db
      .selectFrom("projects")
      .select("id")
      .where("org_id", "=", org.id)
      .where("slug", "=", options.projectSlug)
      .executeTakeFirstOrThrow();
    projectId = p.id;
  }
  const at = new Date().toISOString();
  for (let i = 0; i < options.names.length; i += 500) {
    const rows = options.names
      .slice(i, i + 500)
      .map((name) => secretRow({ orgId: org.id, projectId, name, by: "bulk", at }));
    await store.db.insertInto("secrets").values(rows).execute();
  }
}

/**
 * Inserts many secrets' metadata rows at once (list tests and benches). The rows have no versions: they
 * serve the list, which reads metadata only, never a value.
 */

import type { Store } from "../store/db.js";
import { newId } from "../store/ids.js";

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
    const rows = options.names.slice(i, i + 500).map((name) => ({
      id: newId(),
      org_id: org.id,
      project_id: projectId,
      name,
      name_key: name.toLowerCase(),
      type: "token" as const,
      visibility: "restricted" as const,
      description: "",
      current_version: 1,
      archived: 0,
      created_at: at,
      created_by: "bulk",
      updated_at: at,
      updated_by: "bulk",
      last_accessed_at: null,
      last_accessed_by: null,
    }));
    await store.db.insertInto("secrets").values(rows).execute();
  }
}

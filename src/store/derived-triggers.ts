/**
 * Triggers that keep derived columns on SQLite, and what a migration must do about them (decision 0365).
 */
import { type Kysely, sql } from "kysely";

/**
 * The start of the name of every trigger that keeps derived columns on SQLite (secrets/list-text.ts and
 * list-kept.ts). Such a trigger on one table may read another, and SQLite then refuses to rename a table
 * into the place of one it reads: the create-copy-drop-rename rebuild a migration may do. So they are
 * dropped before the first pending migration runs; a node installs them again after its migrations, and
 * writes every row's derived columns then (decision 0365).
 */
export const DERIVED_TRIGGERS = "secrets_list_";

/** Drops the triggers named with `DERIVED_TRIGGERS` (an exact prefix: `like` would read `_` as any). */
export async function dropDerivedTriggers(tx: Kysely<unknown>): Promise<void> {
  const triggers = await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'
    and substr(name, 1, ${DERIVED_TRIGGERS.length}) = ${DERIVED_TRIGGERS}`.execute(tx);
  for (const { name } of triggers.rows) await sql`drop trigger ${sql.id(name)}`.execute(tx);
}

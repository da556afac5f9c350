/**
 * Triggers that keep derived columns on SQLite, and what a migration must do about them (decision 0365).
 */
import { type QueryExecutorProvider, sql } from "kysely";

/**
 * The start of the name of every trigger that keeps derived columns on SQLite (secrets/list-text.ts and
 * list-kept.ts). Such a trigger on one table may read another, and SQLite then refuses to rename a table
 * into the place of one it reads: the create-copy-drop-rename rebuild a migration may do. So they are
 * dropped before the first pending migration runs; a node installs them again after its migrations, and
 * writes every row's derived columns then (decision 0365).
 */
export const DERIVED_TRIGGERS = "secrets_list_";

/** The names of the triggers whose name starts with `prefix` (exactly: `like` would read `_` as any). */
export async function triggersNamed(db: QueryExecutorProvider, prefix: string): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'
    and substr(name, 1, ${prefix.length}) = ${prefix}`.execute(db);
  return rows.rows.map((r) => r.name);
}

/** Drops the triggers named with `DERIVED_TRIGGERS`. */
export async function dropDerivedTriggers(db: QueryExecutorProvider): Promise<void> {
  for (const name of await triggersNamed(db, DERIVED_TRIGGERS))
    await sql`drop trigger ${sql.id(name)}`.execute(db);
}

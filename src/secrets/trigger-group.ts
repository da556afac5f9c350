/**
 * A group of triggers that keep derived columns of SQLite rows (decisions 0340 and 0365): each trigger's
 * name carries a hash of the whole group's SQL, so a node whose code keeps them otherwise finds names it does
 * not know, replaces the group and writes every row's columns again, in one transaction. A node on current
 * triggers changes nothing. Groups are told apart by their name's prefix, matched exactly.
 */
import { createHash } from "node:crypto";
import { type RawBuilder, sql } from "kysely";
import { triggersNamed } from "../store/derived-triggers.js";
import type { Store, Tx } from "../store/types.js";

export interface TriggerGroup {
  /** The start of every trigger's name: `<prefix><hash>_<event>`. */
  prefix: string;
  /** Each trigger's event name and its statement after `create trigger <name>`. */
  specs: readonly (readonly [event: string, spec: string])[];
  /** The derived columns of `table` and their types, added where missing. */
  table: string;
  columns: readonly (readonly [name: string, type: "text" | "integer default 0"])[];
  /** `create index if not exists ...` statements the triggers' lookups need. */
  indexes?: readonly string[];
  /** `create table if not exists ...` statements for tables the triggers write. */
  tables?: readonly string[];
  /** The statements that write every row's derived columns (made only when the group is replaced). */
  fill: () => readonly string[];
}

/** An expression's SQL text for a trigger, which holds no parameter: every value is a column or a literal. */
export function triggerSql(db: Tx, expression: RawBuilder<unknown>): string {
  const compiled = expression.compile(db);
  if (compiled.parameters.length > 0) throw new Error("a trigger's SQL must hold no parameter");
  return compiled.sql;
}

/** The group's triggers' names and `create trigger` statements. */
export function named(group: TriggerGroup): { names: string[]; statements: string[] } {
  const hash = createHash("sha256")
    .update(group.specs.map(([, s]) => s).join("\n"))
    .digest("hex")
    .slice(0, 12);
  const names = group.specs.map(([event]) => `${group.prefix}${hash}_${event}`);
  return { names, statements: group.specs.map(([, spec], i) => `create trigger ${names[i]} ${spec}`) };
}

/**
 * Adds the columns, tables and indexes, replaces triggers of other code, and writes every row's columns when it
 * did. Nodes starting together take turns on SQLite's write lock, each looking again inside it.
 */
export async function installGroup(store: Store, wanted: TriggerGroup): Promise<void> {
  const { names: wantedNames, statements } = named(wanted);
  const current = (names: string[]) =>
    names.length === wantedNames.length && wantedNames.every((n) => names.includes(n));
  if (current(await triggersNamed(store.db, wanted.prefix))) return;
  await store.transaction(async (tx) => {
    const names = await triggersNamed(tx, wanted.prefix);
    if (current(names)) return;
    const columns = await sql<{ name: string }>`select name from pragma_table_info(${wanted.table})`.execute(
      tx,
    );
    for (const [column, type] of wanted.columns)
      if (!columns.rows.some((c) => c.name === column))
        await sql`alter table ${sql.id(wanted.table)} add column ${sql.id(column)} ${sql.raw(type)}`.execute(
          tx,
        );
    for (const table of wanted.tables ?? []) await sql.raw(table).execute(tx);
    for (const index of wanted.indexes ?? []) await sql.raw(index).execute(tx);
    for (const name of names) await sql`drop trigger ${sql.id(name)}`.execute(tx);
    for (const statement of statements) await sql.raw(statement).execute(tx);
    // Every row's columns, written once here.
    for (const statement of wanted.fill()) await sql.raw(statement).execute(tx);
  });
}

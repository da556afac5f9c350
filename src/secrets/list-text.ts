/**
 * Keeps each secret's list text (list-json.ts) written by SQLite itself (decision 0340): two columns and
 * two triggers that write them after every insert and every update of the row, whoever writes it (this
 * service, the CLI, or someone at the database's shell). A write to the text itself is overwritten at
 * once; a part of a row that is not plain keeps null, and its page goes the JS way. Installed by a node's
 * first list page, like an index: the triggers' names carry a hash of their SQL, so a node whose code
 * writes other text replaces them and rewrites every row's text, in one transaction. Until then writes
 * need nothing: a node that installs triggers writes every row's text, and current triggers have written
 * every change since they were installed. PostgreSQL has neither (its pages are written in JS).
 */
import { createHash } from "node:crypto";
import { type RawBuilder, sql } from "kysely";
import type { Store, Tx } from "../store/types.js";
import { storedColumns } from "./list-json.js";

const PREFIX = "secrets_list_text_";

/** `set list_head = ..., list_tail = ...` for the row `row`, as SQL text with no parameter. */
function assignments(db: Tx, row: string): { columns: string[]; sets: string; differs: string } {
  const columns = storedColumns(row);
  const text = (expression: RawBuilder<unknown>) => {
    const compiled = expression.compile(db);
    if (compiled.parameters.length > 0) throw new Error("a trigger's SQL must hold no parameter");
    return compiled.sql;
  };
  const names = Object.keys(columns) as (keyof typeof columns)[];
  return {
    columns: names,
    sets: names.map((name) => `${name} = ${text(columns[name])}`).join(", "),
    differs: names.map((name) => `${row}.${name} is not ${text(columns[name])}`).join(" or "),
  };
}

/** The triggers' statements, each named with a hash of all of them. */
function triggers(db: Tx): { names: string[]; statements: string[]; backfill: string; columns: string[] } {
  const fresh = assignments(db, "new");
  const body = `begin update secrets set ${fresh.sets} where rowid = new.rowid; end`;
  const specs = [
    ["insert", `after insert on secrets ${body}`],
    // Only when the text is not already the row's: so the trigger's own update stops here, whether or
    // not the connection lets triggers fire recursively.
    ["update", `after update on secrets when ${fresh.differs} ${body}`],
  ] as const;
  const hash = createHash("sha256")
    .update(specs.map(([, s]) => s).join("\n"))
    .digest("hex")
    .slice(0, 12);
  const names = specs.map(([event]) => `${PREFIX}${hash}_${event}`);
  const all = assignments(db, "secrets");
  return {
    names,
    statements: specs.map(([, spec], i) => `create trigger ${names[i]} ${spec}`),
    backfill: `update secrets set ${all.sets}`,
    columns: all.columns,
  };
}

/**
 * Adds the columns, replaces triggers of other code, and writes every row's text when it did; on
 * SQLite only. Nodes starting together take turns on SQLite's write lock, each looking again inside it.
 */
export async function installListText(store: Store): Promise<void> {
  if (store.dialect !== "sqlite") return;
  const wanted = triggers(store.db);
  const installed = async (tx: Tx) => {
    const rows = await sql<{ name: string }>`select name from sqlite_master
      where type = 'trigger' and tbl_name = 'secrets' and name like ${`${PREFIX}%`}`.execute(tx);
    return rows.rows.map((r) => r.name);
  };
  const current = (names: string[]) =>
    names.length === wanted.names.length && wanted.names.every((n) => names.includes(n));
  if (current(await installed(store.db))) return;
  await store.transaction(async (tx) => {
    const names = await installed(tx);
    if (current(names)) return;
    const columns = await sql<{ name: string }>`select name from pragma_table_info('secrets')`.execute(tx);
    for (const column of wanted.columns)
      if (!columns.rows.some((c) => c.name === column))
        await sql`alter table secrets add column ${sql.id(column)} text`.execute(tx);
    for (const name of names) await sql`drop trigger ${sql.id(name)}`.execute(tx);
    for (const statement of wanted.statements) await sql.raw(statement).execute(tx);
    await sql.raw(wanted.backfill).execute(tx);
  });
}

/**
 * `installListText` once, on the first list page rather than at start-up (compiling the triggers' SQL took
 * 6 to 20 ms of a starting node). Answers false while it cannot be installed (a locked database, say):
 * that page goes the JS way, and the next one tries again.
 */
export function listTextOnFirstUse(store: Store): () => Promise<boolean> {
  let installing: Promise<boolean> | undefined;
  return () => {
    installing ??= installListText(store).then(
      () => true,
      () => {
        installing = undefined;
        return false;
      },
    );
    return installing;
  };
}

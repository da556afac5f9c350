/**
 * Keeps each secret's list text (list-json.ts) written by SQLite itself (decision 0340): two columns and
 * triggers that write them after every insert of a row and every change of a column they are made from,
 * whoever writes it (this service, the CLI, or someone at the database's shell). The text is derived data,
 * like an index: written by hand it stays as written until the row changes (a trigger on the text itself
 * would run on the other triggers' own writes too, and cost every write its text twice more). A part of a
 * row that is not plain keeps null, and its page goes the JS way. Installed when a node starts, after the
 * migrations: the triggers' names carry a hash of their SQL, so a node whose code writes other text
 * replaces them and rewrites every row's text, in one transaction. PostgreSQL has neither (its pages are
 * written in JS).
 */
import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Store, Tx } from "../store/types.js";
import { storedColumns } from "./list-json.js";

const PREFIX = "secrets_list_text_";

/** The SQL text of the stored columns' expressions over the row `row`, and the columns they read. */
function storedSql(db: Tx, row: string) {
  const { columns, reads } = storedColumns(row);
  const text = Object.entries(columns).map(([name, expression]) => {
    const compiled = expression.compile(db);
    if (compiled.parameters.length > 0) throw new Error("a trigger's SQL must hold no parameter");
    return { name, sql: compiled.sql };
  });
  return {
    /** `list_head = ..., list_tail = ...` */
    set: text.map((c) => `${c.name} = ${c.sql}`).join(", "),
    names: text.map((c) => c.name),
    reads,
  };
}

/** The triggers' statements, each named with a hash of all of them, and the columns they write. */
function triggers(db: Tx) {
  const fresh = storedSql(db, "new");
  const write = `begin update secrets set ${fresh.set} where rowid = new.rowid; end`;
  const specs = [
    ["insert", `after insert on secrets ${write}`],
    // The columns the text is made from, not the text: its own write fires nothing, even on a connection
    // that lets triggers fire recursively, and a write to any other column (created_by, say) costs nothing.
    ["update", `after update of ${fresh.reads.join(", ")} on secrets ${write}`],
  ] as const;
  const hash = createHash("sha256")
    .update(specs.map(([, s]) => s).join("\n"))
    .digest("hex")
    .slice(0, 12);
  const names = specs.map(([event]) => `${PREFIX}${hash}_${event}`);
  return {
    names,
    statements: specs.map(([, spec], i) => `create trigger ${names[i]} ${spec}`),
    columns: fresh.names,
  };
}

/** The names of this module's triggers in the database (an exact prefix: `like` would read `_` as any). */
async function installed(tx: Tx): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'
    and tbl_name = 'secrets' and substr(name, 1, ${PREFIX.length}) = ${PREFIX}`.execute(tx);
  return rows.rows.map((r) => r.name);
}

/**
 * Adds the columns, replaces triggers of other code, and writes every row's text when it did; on SQLite
 * only. Nodes starting together take turns on SQLite's write lock, each looking again inside it. True
 * when the database keeps the list text (SQLite), false on PostgreSQL.
 */
export async function installListText(store: Store): Promise<boolean> {
  if (store.dialect !== "sqlite") return false;
  const wanted = triggers(store.db);
  const current = (names: string[]) =>
    names.length === wanted.names.length && wanted.names.every((n) => names.includes(n));
  if (current(await installed(store.db))) return true;
  await store.transaction(async (tx) => {
    const names = await installed(tx);
    if (current(names)) return;
    const columns = await sql<{ name: string }>`select name from pragma_table_info('secrets')`.execute(tx);
    for (const column of wanted.columns)
      if (!columns.rows.some((c) => c.name === column))
        await sql`alter table secrets add column ${sql.id(column)} text`.execute(tx);
    for (const name of names) await sql`drop trigger ${sql.id(name)}`.execute(tx);
    for (const statement of wanted.statements) await sql.raw(statement).execute(tx);
    // Every row's text, written once here (a start on current triggers never compiles this).
    await sql.raw(`update secrets set ${storedSql(tx, "secrets").set}`).execute(tx);
  });
  return true;
}

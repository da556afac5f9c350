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
import { DERIVED_TRIGGERS } from "../store/derived-triggers.js";
import type { Store, Tx } from "../store/types.js";
import { generationGroup } from "./list-cache.js";
import { storedColumns } from "./list-json.js";
import { keptGroup } from "./list-kept.js";
import { installGroup, named, type TriggerGroup, triggerSql } from "./trigger-group.js";

/** The SQL text of the stored columns' expressions over the row `row`, and the columns they read. */
function storedSql(db: Tx, row: string) {
  const { columns, reads } = storedColumns(row);
  const text = Object.entries(columns).map(([name, expression]) => ({
    name,
    sql: triggerSql(db, expression),
  }));
  return {
    /** `list_head = ..., list_tail = ...` */
    set: text.map((c) => `${c.name} = ${c.sql}`).join(", "),
    names: text.map((c) => c.name),
    reads,
  };
}

/** The text's triggers: written after every insert, and every change of a column it is made from. */
function textGroup(db: Tx): TriggerGroup {
  const fresh = storedSql(db, "new");
  const write = `begin update secrets set ${fresh.set} where rowid = new.rowid; end`;
  return {
    prefix: `${DERIVED_TRIGGERS}text_`,
    specs: [
      ["insert", `after insert on secrets ${write}`],
      // The columns the text is made from, not the text: its own write fires nothing, even on a connection
      // that lets triggers fire recursively, and a write to any other column (created_by, say) costs nothing.
      ["update", `after update of ${fresh.reads.join(", ")} on secrets ${write}`],
    ],
    table: "secrets",
    columns: fresh.names.map((name) => [name, "text"] as const),
    // Compiled only when the group is replaced: a start on current triggers never needs it.
    fill: () => [`update secrets set ${storedSql(db, "secrets").set}`],
  };
}

/**
 * Installs the text's triggers, the kept counts' and flags' (list-kept.ts, decision 0365) and the pages'
 * generations' (list-cache.ts, decision 0410), on SQLite only. The names of all their triggers when the
 * database keeps them (SQLite), undefined on PostgreSQL.
 */
export async function installListText(store: Store): Promise<string[] | undefined> {
  if (store.dialect !== "sqlite") return undefined;
  const groups = [textGroup(store.db), keptGroup(store.db), generationGroup()];
  for (const group of groups) await installGroup(store, group);
  return groups.flatMap((group) => named(group).names);
}

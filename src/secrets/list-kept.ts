/**
 * What a page computes for each row, kept in the row by SQLite (decision 0365): `list_usage`, the number of
 * consumers using the secret; `list_overrides`, whether the secret's organization has a secret of the
 * same name (what a project secret's `overrides` says); and on an organization secret's row
 * `list_overridden`, how many project secrets have its name (when none, no project's page probes whether
 * it is hidden). The first two are the page's own expressions (listing.ts). Each is written by triggers
 * after every change that can move it, whoever makes it (this service, the CLI, or someone at the
 * database's shell, foreign keys on or off). A page reads what the row keeps, and where it
 * keeps null (after a write that displaced a row, or by hand) it computes it, as the JS path does; like
 * the list text (0340), any other value written by hand is shown as written.
 *
 * The triggers' prefix is not the list text's, so a node on code from before 0365, which replaces every
 * trigger of that prefix, leaves these alone, and they keep the columns right under its writes too.
 */
import { sql } from "kysely";
import { DERIVED_TRIGGERS } from "../store/derived-triggers.js";
import type { Tx } from "../store/types.js";
import { consumerCount, namesake } from "./listing.js";
import { type TriggerGroup, triggerSql } from "./trigger-group.js";

export function keptGroup(db: Tx): TriggerGroup {
  const usage = `list_usage = ${triggerSql(db, consumerCount(db, "secrets.id"))}`;
  const organization = `coalesce(secrets.project_id, '') = ''`;
  /** For a project secret, whether its organization has a secret of its name; 0 for an organization's. */
  const flag = `list_overrides = case when ${organization} then 0
    else ${triggerSql(db, namesake(db, sql.ref("secrets.org_id"), sql.lit(""), "secrets.name_key"))} end`;
  /** The organization secret named as the row `row` (`old` or `new`). */
  const shared = (row: string) =>
    `org_id = ${row}.org_id and coalesce(project_id, '') = '' and name_key = ${row}.name_key`;
  /**
   * How many project secrets have an organization secret's name (0 on a project secret's row): its
   * name's entries in the index on (org_id, name_key), read alone, but its own. Counted when the row is
   * written or moved; a project secret's insert, delete or move then adds or takes one (counting there
   * would read every namesake's row, for each of them: quadratic in an organization whose projects all
   * override the same names).
   */
  const overridden = `list_overridden = case when ${organization} then (select count(*)
    from secrets p where p.org_id = secrets.org_id and p.name_key = secrets.name_key) - 1 else 0 end`;
  const ofProject = (row: string) => `coalesce(${row}.project_id, '') <> ''`;
  const step = (row: string, by: "+ 1" | "- 1") =>
    `update secrets set list_overridden = list_overridden ${by} where ${ofProject(row)} and ${shared(row)};`;
  const set = (columns: string, where: string) => `update secrets set ${columns} where ${where};`;
  /** The project secrets named as the row `row` (`old` or `new`): an organization secret's namesakes. */
  const namesakes = (row: string) =>
    `org_id = ${row}.org_id and name_key = ${row}.name_key and coalesce(project_id, '') <> ''`;
  /**
   * Runs only when `row` is an organization secret with namesakes (`when`: a body costs even when it
   * changes nothing, 0350).
   */
  const ofNamesakes = (row: string) =>
    `when coalesce(${row}.project_id, '') = '' and exists (select 1 from secrets where ${namesakes(row)})
      begin ${set(flag, namesakes(row))} end`;
  /**
   * What a write of `new` would displace, and the trigger that makes that row's name unknown first: the
   * row with its id, and the row at its place (org, scope, name), other than `self` (the row an update
   * writes; it must not be written here, SQLite leaves that undefined). Each by its own index: one query
   * with `or` costs a multi-index OR, even when both miss.
   */
  const displaced = (self: string) => {
    const other = self ? ` and rowid <> ${self}` : "";
    const byId = `select org_id, name_key from secrets where id = new.id${other}`;
    const byPlace = `select org_id, name_key from secrets where org_id = new.org_id
      and coalesce(project_id, '') = coalesce(new.project_id, '') and name_key = new.name_key${other}`;
    return `when exists (${byId}) or exists (${byPlace})
      begin update secrets set list_overrides = null, list_overridden = null
      where (org_id, name_key) in (${byId} union ${byPlace})${other}; end`;
  };
  /** The secrets a consumer (`row`) names; runs only when there are some (with foreign keys on, never). */
  const named = (row: string) => `select secret_id from consumer_secrets where consumer_id = ${row}.id`;
  const ofConsumer = (rows: string[]) =>
    `when ${rows.map((row) => `exists (${named(row)})`).join(" or ")}
      begin ${set(usage, `id in (${rows.map(named).join(" union ")})`)} end`;
  return {
    prefix: `${DERIVED_TRIGGERS}kept_`,
    specs: [
      // A new row's columns are 0 (their default) unless a consumer already names it (foreign keys off) or
      // another secret of its organization has its name: then its insert writes them, else nothing more.
      [
        "insert",
        `after insert on secrets
          when exists (select 1 from consumer_secrets where secret_id = new.id)
            or exists (select 1 from secrets where org_id = new.org_id and name_key = new.name_key
              and rowid <> new.rowid)
          begin ${set(`${usage}, ${flag}, ${overridden}`, "rowid = new.rowid")} end`,
      ],
      ["shared_insert", `after insert on secrets ${ofNamesakes("new")}`],
      ["shared_delete", `after delete on secrets ${ofNamesakes("old")}`],
      // `when`: an organization secret's insert or delete runs no body (a body costs even when it changes
      // nothing).
      ["project_insert", `after insert on secrets when ${ofProject("new")} begin ${step("new", "+ 1")} end`],
      ["project_delete", `after delete on secrets when ${ofProject("old")} begin ${step("old", "- 1")} end`],
      // No API moves a secret; the shell can. Its namesakes' columns at both places, then its own (last: a
      // project secret that becomes its name's organization secret is the row the first step names).
      [
        "place",
        `after update of org_id, project_id, name_key on secrets
          begin ${step("old", "- 1")} ${step("new", "+ 1")}
          ${set(flag, namesakes("old"))} ${set(flag, namesakes("new"))}
          ${set(`${flag}, ${overridden}`, "rowid = new.rowid")} end`,
      ],
      [
        "rekey",
        `after update of id on secrets begin ${set(`${usage}, ${flag}, ${overridden}`, "rowid = new.rowid")} end`,
      ],
      // A write that displaces another row (`insert or replace`, `update or replace`, at the shell) deletes
      // it without its delete triggers (SQLite runs them only with recursive_triggers on). What the row
      // moved for its namesakes becomes unknown first: null, which the page computes. If the write then
      // fails or is ignored, they stay null, still right.
      ["displace_insert", `before insert on secrets ${displaced("")}`],
      [
        "displace_update",
        `before update of id, org_id, project_id, name_key on secrets ${displaced("old.rowid")}`,
      ],
      ["use", `after insert on consumer_secrets begin ${set(usage, "id = new.secret_id")} end`],
      ["unuse", `after delete on consumer_secrets begin ${set(usage, "id = old.secret_id")} end`],
      [
        "reuse",
        `after update of consumer_id, secret_id on consumer_secrets
          begin ${set(usage, "id = old.secret_id")} ${set(usage, "id = new.secret_id")} end`,
      ],
      ["consumer_insert", `after insert on consumers ${ofConsumer(["new"])}`],
      ["consumer_delete", `after delete on consumers ${ofConsumer(["old"])}`],
      ["consumer_rekey", `after update of id on consumers ${ofConsumer(["old", "new"])}`],
    ],
    table: "secrets",
    columns: [
      ["list_usage", "integer default 0"],
      ["list_overrides", "integer default 0"],
      ["list_overridden", "integer default 0"],
    ],
    // An organization secret's namesakes, found without reading every secret of its organization.
    indexes: ["create index if not exists secrets_org_name_key on secrets (org_id, name_key)"],
    fill: () => [`update secrets set ${usage}, ${flag}, ${overridden}`],
  };
}

/**
 * A list page's answer kept in memory until something it shows changes (decision 0410), on SQLite.
 *
 * Everything a page shows comes from `secrets` rows: what the service writes, and what 0340's and 0365's
 * triggers keep in them (a consumer count, an override flag), which they write after every change of the
 * tables those are made from. So a group of triggers of its own gives each organization a generation, a
 * number its row in `list_generations` steps after every insert, update and delete of one of its secrets
 * rows, whoever makes it (this node, another process on the file, someone at the database's shell). A page
 * of an organization or one of its projects is kept with the generation it was read at and the schema's
 * version; the next request for it reads those two (one row by its key) and answers the kept text when
 * both are the same, else reads the page again. Reading them before the page makes the kept text at least
 * as new as its generation: a change in between only costs a read.
 *
 * The schema version covers what triggers cannot: while they are missing (a migration drops every derived
 * trigger first, decision 0365; a node on older code) writes step nothing, and a schema change is how they
 * go. At each new schema version the cache looks for all the list triggers, in the same statement that reads
 * the version, and keeps nothing while one is missing. A generation starts at a random number below 2^52,
 * so a table made again (or a row deleted by hand) cannot give a kept page's number back.
 *
 * The cache holds metadata only (never a value), is read only after the caller was authorized, and
 * drops the least recently used pages beyond `maxChars` of text.
 */
import { sql } from "kysely";
import { DERIVED_TRIGGERS } from "../store/derived-triggers.js";
import { prepared } from "../store/prepared.js";
import type { Tx } from "../store/types.js";
import type { TriggerGroup } from "./trigger-group.js";
import type { Scope } from "./types.js";

const TABLE = "list_generations";

/** A new organization's first generation: random, below 2^52 (so each step stays exact in JS). */
const FIRST = "abs(random() % 4503599627370496)";
const STEPPED = "on conflict (org_id) do update set generation = generation + 1;";

/** Steps the generation of the organization `orgId` (an expression over a trigger's row). */
const step = (orgId: string) =>
  `insert into ${TABLE} (org_id, generation) values (${orgId}, ${FIRST}) ${STEPPED}`;

/**
 * The generations' triggers. A write that displaces a row (`insert or replace`, `update or replace` at the
 * shell) deletes it without its delete triggers, and the row of the same id may be another organization's:
 * 0365's `displace_` triggers write that row first (its flags become unknown), which steps its
 * organization here. The cache keeps pages only while those triggers are there too.
 */
export function generationGroup(): TriggerGroup {
  return {
    prefix: `${DERIVED_TRIGGERS}generation_`,
    specs: [
      ["insert", `after insert on secrets begin ${step("new.org_id")} end`],
      ["update", `after update on secrets begin ${step("new.org_id")} end`],
      [
        "move",
        `after update of org_id on secrets when old.org_id is not new.org_id begin ${step("old.org_id")} end`,
      ],
      ["delete", `after delete on secrets begin ${step("old.org_id")} end`],
    ],
    table: "secrets",
    columns: [],
    tables: [`create table if not exists ${TABLE} (org_id text primary key, generation integer not null)`],
    fill: () => [],
  };
}

/** The schema's version and an organization's generation (null before its first secret), in one read. */
const stampQuery = prepared((db: Tx, [orgId]: [string]) =>
  db.selectNoFrom([
    sql<number>`(select schema_version from pragma_schema_version())`.as("schema"),
    sql<number | null>`(select generation from ${sql.table(TABLE)} where org_id = ${orgId})`.as("generation"),
  ]),
);

/** The same, and how many of `names` are triggers of the schema (only when its version is new). */
const checkQuery = prepared((db: Tx, [orgId, ...names]: string[]) =>
  db.selectNoFrom([
    sql<number>`(select schema_version from pragma_schema_version())`.as("schema"),
    sql<number | null>`(select generation from ${sql.table(TABLE)} where org_id = ${orgId})`.as("generation"),
    sql<number>`(select count(*) from sqlite_master where type = 'trigger' and name in (${sql.join(names)}))`.as(
      "present",
    ),
  ]),
);

/** What identifies a page: its scope and every option that changes its text. */
export interface PageKey {
  scope: Scope;
  archived: boolean;
  contains: string | undefined;
  after: string | undefined;
  limit: number;
}

interface Kept {
  schema: number;
  generation: number | null;
  text: string;
}

export interface ListCache {
  /**
   * The page's text: kept, or `read` (undefined when the page is not SQLite's to write) and kept. Pages
   * `read` gives after the stamp was taken are never newer than what the next stamp tells apart.
   */
  page(tx: Tx, key: PageKey, read: () => Promise<string | undefined>): Promise<string | undefined>;
  /** Characters of text kept now (tests, metrics). */
  size(): number;
}

/** `triggers`: every trigger the list pages need (list-text.ts), this cache's own included. */
export function createListCache(triggers: readonly string[], maxChars = 8 * 1024 * 1024): ListCache {
  const pages = new Map<string, Kept>();
  let chars = 0;
  /** The schema version at which every trigger was seen, or null. */
  let checked: number | null = null;

  const drop = (id: string, kept: Kept) => {
    pages.delete(id);
    chars -= kept.text.length;
  };
  const stamp = async (tx: Tx, orgId: string) => {
    const [now] = await stampQuery.execute(tx, [orgId]);
    if (now!.schema === checked) return now!;
    const [seen] = await checkQuery.execute(tx, [orgId, ...triggers]);
    if (seen!.present !== triggers.length) {
      checked = null;
      for (const [id, kept] of pages) drop(id, kept);
      return undefined;
    }
    checked = seen!.schema;
    return seen!;
  };

  return {
    async page(tx, key, read) {
      const { scope } = key;
      // JSON: a cursor or a search may hold any character, so no separator could tell the parts apart.
      const id = JSON.stringify([
        scope.orgId,
        scope.projectId,
        key.archived,
        key.contains ?? null,
        key.after ?? null,
        key.limit,
      ]);
      if (maxChars === 0) return read();
      const now = await stamp(tx, scope.orgId);
      if (now === undefined) return read();
      const kept = pages.get(id);
      if (kept !== undefined) {
        drop(id, kept);
        if (kept.schema === now.schema && kept.generation === now.generation) {
          pages.set(id, kept);
          chars += kept.text.length;
          return kept.text;
        }
      }
      const text = await read();
      if (text === undefined || text.length > maxChars) return text;
      // Another request for the page may have kept it while this one read: this one replaces it.
      const raced = pages.get(id);
      if (raced !== undefined) drop(id, raced);
      pages.set(id, { schema: now.schema, generation: now.generation, text });
      chars += text.length;
      for (const [old, was] of pages) {
        if (chars <= maxChars) break;
        drop(old, was);
      }
      return text;
    },
    size: () => chars,
  };
}

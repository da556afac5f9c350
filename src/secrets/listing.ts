/**
 * Data access of a scope's list pages (the rest of the secrets domain's SQL is in store.ts): the page, the
 * consumers of its secrets, and which of a project's names override an organization secret. Every list
 * request runs the page, so it is a prepared query (store/prepared.ts) that reads only the columns its
 * answer shows and counts consumers in the same statement (decision 0280).
 */
import { type Expression, type SelectQueryBuilder, sql } from "kysely";
import { prepared } from "../store/prepared.js";
import { groupRows } from "../store/rows.js";
import type { Database } from "../store/schema.js";
import type { Dialect, Tx } from "../store/types.js";
import { type ItemParts, itemJson, type Side } from "./list-json.js";
import { type SecretRecord, type ShownColumns, shownFields } from "./store.js";
import type { ConsumerRef, Scope } from "./types.js";

/**
 * A secret as a list page has it: the columns its answer shows, the number of consumers using it, and for
 * a project secret whether it overrides an organization secret of the same name.
 */
export type ListedSecret = Omit<SecretRecord, "id" | "orgId" | "createdBy"> & {
  usageCount: number;
  overrides: boolean;
};

const LISTED = [
  "s.project_id",
  "s.name",
  "s.name_key",
  "s.type",
  "s.visibility",
  "s.description",
  "s.current_version",
  "s.archived",
  "s.created_at",
  "s.updated_at",
  "s.updated_by",
  "s.last_accessed_at",
  "s.last_accessed_by",
  // Most secrets are bound to no host: no text to read and parse for those.
  sql<string | null>`nullif(s.allowed_hosts, '[]')`.as("allowed_hosts"),
] as const;

type ListedRow = ShownColumns & {
  /** A count: a number on SQLite, a bigint's text on PostgreSQL. */
  usage_count: number | string;
  /** SQLite answers 0 or 1, PostgreSQL a boolean; absent on an organization's page. */
  overrides?: number | boolean;
};

const toListed = (row: ListedRow): ListedSecret => {
  // Added to shownFields' object rather than spread into a new one: V8 copied a spread of these 14
  // fields on its slow path, 3 to 6 µs a row, most of a page's JS time (decision 0300).
  const listed = shownFields(row) as ListedSecret;
  listed.usageCount = Number(row.usage_count);
  listed.overrides = row.overrides === true || row.overrides === 1;
  return listed;
};

/**
 * How many consumers use the secret whose id is `secretId` (a column reference): the `usageCount` of a
 * page's item, and what SQLite keeps in each secret's row (list-kept.ts). Its `consumer_secrets` rows
 * whose consumer exists: the join is what a secret's own answer counts (`usedBy`), foreign keys on or off.
 */
export const consumerCount = (db: Tx, secretId: string) =>
  // Kysely writes a query inside `sql` in parentheses of its own.
  sql<number>`${db
    .selectFrom("consumer_secrets as cs")
    .innerJoin("consumers as c", "c.id", "cs.consumer_id")
    .select((e) => e.fn.countAll().as("n"))
    .where("cs.secret_id", "=", sql.ref<string>(secretId))}`;

/**
 * Whether the organization `orgId` has a secret in the scope `scopeKey` ("" for the organization's own)
 * whose name key is the column `nameKey`: with "", a project secret's `overrides` flag; with a project's
 * id, the organization secrets that project's page leaves out.
 */
export const namesake = (
  db: Tx,
  orgId: string | Expression<string>,
  scopeKey: string | Expression<string>,
  nameKey: string,
) =>
  sql<boolean>`exists ${db
    .selectFrom("secrets as o")
    .select(sql`1`.as("one"))
    .where("o.org_id", "=", orgId)
    .where(sql<string>`coalesce(o.project_id, '')`, "=", scopeKey)
    .where("o.name_key", "=", sql.ref<string>(nameKey))}`;

/** orgId, projectId ("" for the organization's page), archived, after, like-pattern, limit. */
type PageArgs = [string, string, number, string, string, number];

/**
 * The page's SQL has a variant per shape: `project` (the merged page), `after` (a cursor), `contains` (a
 * search). The conditions repeat the unique index's expression `(org_id, coalesce(project_id, ''),
 * name_key)`, so each side is an index range scan in name order however many secrets the organization
 * has (decision 0245). A row's consumers are counted, and a project secret's organization namesake looked
 * up, by index in the same statement (decision 0280).
 */
const pageQuery = prepared((db: Tx, [orgId, projectId, archived, after, pattern, limit]: PageArgs, shape) => {
  /** A side's rows, its consumer counts, and for a project's own secrets their override flags. */
  const side = (part: Side) => {
    let q = db
      .selectFrom("secrets as s")
      .where("s.org_id", "=", orgId)
      .where(sql<string>`coalesce(s.project_id, '')`, "=", part === "own" ? projectId : "")
      .where("s.archived", "=", archived);
    if (shape.includes("after")) q = q.where("s.name_key", ">", after);
    if (shape.includes("contains")) q = q.where(sql<boolean>`s.name_key like ${pattern} escape '\\'`);
    const usageCount = consumerCount(db, "s.id");
    // The organization's secrets a project secret of the same name overrides are not on its page.
    if (part === "shared") {
      const hidden = namesake(db, orgId, projectId, "s.name_key");
      // SQLite's row keeps how many projects have a secret of its name (list-kept.ts): none, no probe.
      const kept = sql<boolean>`case when s.list_overridden = 0 then 0 else ${hidden} end`;
      q = q.where(sql<boolean>`not ${shape.includes("json") ? kept : hidden}`);
    }
    return { q, usageCount, overrides: part === "own" ? namesake(db, orgId, "", "s.name_key") : null };
  };
  const listed = (part: Side) => {
    const { q, usageCount, overrides } = side(part);
    return q
      .select(LISTED)
      .select([usageCount.as("usage_count"), (overrides ?? sql<boolean>`false`).as("overrides")]);
  };
  const json = (part: Side) => {
    const { q, usageCount, overrides } = side(part);
    // What the row keeps (list-kept.ts), or where it keeps none, what the JS path computes (decision 0365).
    const kept: ItemParts = {
      usageCount: sql<number>`coalesce(s.list_usage, ${usageCount})`,
      overrides: overrides && sql<boolean>`coalesce(s.list_overrides, ${overrides})`,
    };
    return q.select([itemJson(part, kept).as("item"), "s.name_key"]);
  };
  const page = <O>(rows: (part: Side) => SelectQueryBuilder<PageTables, "s", O>) => {
    if (!shape.includes("project")) return rows("org").orderBy("s.name_key").limit(limit);
    // Merged in SQL, so the page follows the database's own ordering of names (its collation), in a way
    // each planner runs well (decision 0325). SQLite: one compound statement ordered and limited as a
    // whole, merging the two index ranges as it reads them, so it neither sorts nor reads past the page.
    // PostgreSQL sorts such a compound over the whole organization; there each side is limited first.
    if (shape.includes("sqlite"))
      return rows("own").unionAll(rows("shared")).orderBy(sql`name_key`).limit(limit);
    const limited = (part: "own" | "shared") => rows(part).orderBy("s.name_key").limit(limit).as(part);
    const both = db
      .selectFrom(limited("own"))
      .selectAll()
      .unionAll(db.selectFrom(limited("shared")).selectAll());
    return db.selectFrom(both.as("u")).selectAll().orderBy(sql`name_key`).limit(limit);
  };
  return shape.includes("json") ? page(json) : page(listed);
});

type PageTables = Database & { s: Database["secrets"] };

export type PageOptions = {
  archived: boolean;
  contains?: string | undefined;
  after?: string | undefined;
  limit: number;
};

function pageArgs(tx: Tx, dialect: Dialect, scope: Scope, options: PageOptions, json: boolean) {
  const shape = [
    scope.projectId === null ? "org" : `project,${dialect}`,
    options.after === undefined ? "" : "after",
    options.contains ? "contains" : "",
    json ? "json" : "",
  ].join(",");
  const pattern = options.contains ? `%${options.contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : "";
  const args: PageArgs = [
    scope.orgId,
    scope.projectId ?? "",
    options.archived ? 1 : 0,
    options.after ?? "",
    pattern,
    options.limit,
  ];
  return pageQuery.execute(tx, args, shape);
}

/**
 * One page of a scope's list, in name order after `after` (a name key). In a project, organization
 * secrets that a project secret of the same name overrides are left out.
 */
export async function listPage(
  tx: Tx,
  dialect: Dialect,
  scope: Scope,
  options: PageOptions,
): Promise<ListedSecret[]> {
  const rows = (await pageArgs(tx, dialect, scope, options, false)) as unknown as ListedRow[];
  return rows.map(toListed);
}

/** An item's JSON text and its name key (for the cursor). */
type JsonRow = { item: string; name_key: string };

/**
 * The same page with each item as its answer's JSON text, written by SQLite (list-json.ts). Only on
 * SQLite.
 */
export async function listPageJson(tx: Tx, scope: Scope, options: PageOptions): Promise<JsonRow[]> {
  return (await pageArgs(tx, "sqlite", scope, options, true)) as unknown as JsonRow[];
}

/** Which of `keys` name an organization secret of `orgId`: a project list's `overrides` flags. */
const orgNameKeysQuery = prepared((db: Tx, [orgId, ...keys]: string[]) =>
  db
    .selectFrom("secrets")
    .select("name_key")
    .where("org_id", "=", orgId!)
    .where(sql<string>`coalesce(project_id, '')`, "=", "")
    .where("name_key", "in", keys),
);

export async function orgNameKeys(tx: Tx, orgId: string, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await orgNameKeysQuery.execute(tx, [orgId, ...keys]);
  return new Set(rows.map((r) => r.name_key));
}

/** The consumers of each secret, by name. */
const usageQuery = prepared((db: Tx, secretIds: string[]) =>
  db
    .selectFrom("consumer_secrets")
    .innerJoin("consumers", "consumers.id", "consumer_secrets.consumer_id")
    .select(["consumer_secrets.secret_id", "consumers.id", "consumers.kind", "consumers.name"])
    .where("consumer_secrets.secret_id", "in", secretIds)
    .orderBy("consumers.name"),
);

export async function usage(tx: Tx, secretIds: string[]): Promise<Map<string, ConsumerRef[]>> {
  if (secretIds.length === 0) return new Map();
  return groupRows(
    await usageQuery.execute(tx, secretIds),
    (r) => r.secret_id,
    (r): ConsumerRef => ({ kind: r.kind, id: r.id, name: r.name }),
  );
}

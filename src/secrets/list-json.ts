/**
 * A list page's items written as JSON by SQLite itself, from the response schema's keys (decision 0325).
 * On a page of 100, building 1,500 values in JS, copying them into the answer's objects, zod's allowlisting
 * parse and `JSON.stringify` were about a third of the request; here the statement returns one text per
 * item, the exact text the JS path sends (SQLite escapes strings as `JSON.stringify` does), and the page is
 * those texts joined. The allowlist still holds, by construction: the keys written are the schema's own, in
 * its order, each from the expression this table gives it, and a key the schema gains or loses without a
 * change here does not compile. The values are checked too (`fitsSchema`): a page with a row that does
 * not fit the schema as zod would judge it (a damaged column: a version that is no safe integer, a type
 * outside the enum, a last accessor that is JSON but no consumer reference) is listed by the JS path
 * instead, whose zod parse refuses it with a 500 as it always did. PostgreSQL pages keep the
 * JS path (its JSON functions differ, and PostgreSQL 15 cannot test text for valid JSON without failing
 * the statement).
 */
import { type Expression, type RawBuilder, sql } from "kysely";
import { secretMetadataSchema } from "./schema.js";
import type { SecretMetadata } from "./types.js";

/** "org": an organization's page; "own", "shared": the two sides of a project's. */
export type Side = "org" | "own" | "shared";

/** What an item's expressions may use beside the row `s`: its consumer count, and for "own" its flag. */
export interface ItemParts {
  usageCount: Expression<number>;
  overrides: Expression<boolean> | null;
}

type ListedKey = Exclude<keyof SecretMetadata, "usedBy">;

/** JSON `true` or `false` (SQLite has no boolean: `json()` marks the text as JSON for json_object). */
const bool = (condition: RawBuilder<unknown> | Expression<unknown>) =>
  sql`json(iif(${condition}, 'true', 'false'))`;

/**
 * Each key's value as `secrets/reads.ts` `view` and `secrets/hosts.ts` `parseAllowedHosts` make it: hosts
 * read as `[]` when unset and `["invalid.invalid"]` when their text is not a list of strings; a last
 * accessor whose text is not a JSON object reads as null. `null` leaves the key out of this side's items.
 */
const VALUES: {
  [K in ListedKey]: (side: Side, parts: ItemParts) => RawBuilder<unknown> | Expression<unknown> | null;
} = {
  name: () => sql.ref("s.name"),
  type: () => sql.ref("s.type"),
  visibility: () => sql.ref("s.visibility"),
  description: () => sql.ref("s.description"),
  // Rewritten from its elements, so the text is `JSON.stringify`'s even where the stored one differs.
  allowedHosts: () => sql`case
      when s.allowed_hosts is null or s.allowed_hosts in ('[]', '') then json_array()
      when not json_valid(s.allowed_hosts) then json('["invalid.invalid"]')
      when json_type(s.allowed_hosts) <> 'array' then json('["invalid.invalid"]')
      when exists (select 1 from json_each(s.allowed_hosts) where type <> 'text') then json('["invalid.invalid"]')
      else (select json_group_array(value) from json_each(s.allowed_hosts)) end`,
  scope: (side) => sql.lit(side === "own" ? "project" : "org"),
  overrides: (side, parts) => (side === "own" && parts.overrides ? bool(parts.overrides) : null),
  usageCount: (_side, parts) => parts.usageCount,
  createdAt: () => sql.ref("s.created_at"),
  updatedAt: () => sql.ref("s.updated_at"),
  updatedBy: () => sql.ref("s.updated_by"),
  lastAccessedAt: () => sql.ref("s.last_accessed_at"),
  lastAccessedBy: () => sql`case
      when not json_valid(s.last_accessed_by) then null
      when json_type(s.last_accessed_by) = 'object'
        then json_object('kind', s.last_accessed_by ->> 'kind', 'id', s.last_accessed_by ->> 'id',
          'name', s.last_accessed_by ->> 'name') end`,
  version: () => sql.ref("s.current_version"),
  archived: () => bool(sql`s.archived = 1`),
};

/** The response schema's keys in its order: the order zod's parse gives the JS path's answer. */
const KEYS = Object.keys(secretMetadataSchema.shape).filter((k): k is ListedKey => k !== "usedBy");

/** One item of this side's page as JSON text: `json_object` of the schema's keys. */
export function itemJson(side: Side, parts: ItemParts): RawBuilder<string> {
  const pairs: (RawBuilder<unknown> | Expression<unknown>)[] = [];
  for (const key of KEYS) {
    const value = VALUES[key](side, parts);
    if (value !== null) pairs.push(sql.lit(key), value);
  }
  return sql<string>`json_object(${sql.join(pairs)})`;
}

const shape = secretMetadataSchema.shape;
const TYPES = new Set<unknown>(shape.type.options);
const VISIBILITIES = new Set<unknown>(shape.visibility.options);
const KINDS = shape.lastAccessedBy.unwrap().shape.kind.options;

/**
 * 1 when the row's last accessor reads null (no JSON, or JSON null) or is a consumer reference with each
 * key once (`JSON.parse` keeps a repeated key's last value, SQLite its first); else 0. Each test of JSON
 * text is a `case` arm: SQLite may evaluate every operand of `or` and `and`, and a JSON function fails the
 * statement on text that is no JSON.
 */
export function accessorFits(): RawBuilder<number> {
  const by = sql.ref("s.last_accessed_by");
  return sql<number>`case
    when ${by} is null then 1
    when not json_valid(${by}) then 1
    when json_type(${by}) = 'null' then 1
    when json_type(${by}) <> 'object' then 0
    else ${by} ->> 'kind' in (${sql.join(KINDS.map((k) => sql.lit(k)))})
      and json_type(${by}, '$.id') = 'text' and json_type(${by}, '$.name') = 'text'
      and (select count(*) = count(distinct key) from json_each(${by})) end`;
}

/** What a row brings beside its item to tell whether the item fits the response schema. */
export interface FitColumns {
  type: unknown;
  visibility: unknown;
  current_version: unknown;
  accessor_fits: number;
}

/**
 * Whether the row's item is what zod would let through from the JS path (`view`): the enums, a safe
 * integer version, a last accessor that fits. Text columns need no check: SQLite stores only text, null or
 * a blob in a column of text affinity, and `json_object` fails the statement on a blob. Checked here, not
 * in the statement, where the same tests cost 60 µs a page of 100.
 */
export const fitsSchema = (row: FitColumns) =>
  TYPES.has(row.type) &&
  VISIBILITIES.has(row.visibility) &&
  Number.isSafeInteger(row.current_version) &&
  row.accessor_fits === 1;

/** The page's answer text: the items, then the cursor, as `secretListSchema` orders them. */
export const pageJson = (items: string[], nextCursor: string | null) =>
  `{"secrets":[${items.join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`;

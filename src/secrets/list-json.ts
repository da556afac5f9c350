/**
 * A list page's items written as JSON by SQLite itself, from the response schema's keys (decision 0325).
 * On a page of 100, building 1,500 values in JS, copying them into the answer's objects, zod's allowlisting
 * parse and `JSON.stringify` were about a third of the request; here the statement returns one text per
 * item, the exact text the JS path sends (SQLite escapes strings as `JSON.stringify` does), and the page is
 * those texts joined. The allowlist still holds, by construction: the keys written are the schema's own, in
 * its order, each from the expression this table gives it, and a key the schema gains or loses without a
 * change here does not compile. Only plain rows are written here (see `VALUES`): a row with anything
 * zod would look at twice stops the statement, and the page is listed by the JS path, which
 * answers the same text or refuses with a 500. Text columns need no check: SQLite keeps only text, null or
 * a blob in a column of text affinity, and `json_object` stops on a blob. PostgreSQL pages keep the JS
 * path (its JSON functions differ, and PostgreSQL 15 cannot test text for valid JSON without failing the
 * statement).
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

const shape = secretMetadataSchema.shape;

/**
 * Stops the statement with SQLite's "malformed JSON": what a row that is not plain becomes, so the page goes
 * the JS way (`isNotPlain`). Never constant (SQLite evaluates a constant call once, before the first row)
 * and never valid JSON, whatever the column holds.
 */
const notPlain = (column: RawBuilder<unknown>) => sql`json('not plain ' || coalesce(${column}, ''))`;

/**
 * `value` when it is one of `values`, else `otherwise`. A `case`, not `in (...)`: SQLite builds an `in`
 * list's index again on every run of the statement, and that cost a list request 100 µs or more one time
 * in two (decision 0325).
 */
const among = (value: RawBuilder<unknown>, values: readonly string[], otherwise: RawBuilder<unknown>) =>
  sql`case ${value} ${sql.join(
    values.map((v) => sql`when ${sql.lit(v)} then ${sql.lit(v)}`),
    sql` `,
  )} else ${otherwise} end`;

/** The column when it is one of the enum's values; otherwise the statement stops. */
const member = (column: string, values: readonly string[]) =>
  among(sql.ref(column), values, notPlain(sql.ref(column)));

/**
 * Each key's value for a plain row, as `secrets/reads.ts` `view` makes it and zod then passes it: a host
 * list of plain strings; no last accessor, text that is no JSON (both read null), or a consumer reference
 * of exactly its three keys. Anything else (longer or escaped host lists, a damaged column, a repeated key) stops the
 * statement, and the page is listed by the JS path, whose answer is the reference: it answers the same
 * text or refuses with a 500 as it always did. Tests of JSON text are `case` arms: SQLite may evaluate
 * every operand of `or` and `and`, and a JSON function stops on text that is no JSON. Kept this small on
 * purpose: every arm and subquery makes the statement dearer for every row, even where it never runs
 * (decision 0325). `null` leaves the key out of the side.
 */
const VALUES: {
  [K in ListedKey]: (side: Side, parts: ItemParts) => RawBuilder<unknown> | Expression<unknown> | null;
} = {
  name: () => sql.ref("s.name"),
  type: () => member("s.type", shape.type.options),
  visibility: () => member("s.visibility", shape.visibility.options),
  description: () => sql.ref("s.description"),
  allowedHosts: () => {
    const hosts = sql.ref("s.allowed_hosts");
    // A list of strings as the service writes it: minified, no backslash (so no escapes, and a control
    // character would not be valid JSON), and no comma but between two strings. Its text is then what
    // `JSON.stringify` makes of its parse.
    return sql`case
      when ${hosts} = '[]' or ${hosts} = '' then json_array()
      when not json_valid(${hosts}) then ${notPlain(hosts)}
      when substr(${hosts}, 1, 2) = '["' and substr(${hosts}, -2) = '"]' and ${hosts} = json(${hosts})
        and instr(${hosts}, char(92)) = 0
        and instr(replace(${hosts}, '","', ''), ',') = 0
        then json(${hosts})
      else ${notPlain(hosts)} end`;
  },
  scope: (side) => sql.lit(side === "own" ? "project" : "org"),
  overrides: (side, parts) => (side === "own" && parts.overrides ? bool(parts.overrides) : null),
  usageCount: (_side, parts) => parts.usageCount,
  createdAt: () => sql.ref("s.created_at"),
  updatedAt: () => sql.ref("s.updated_at"),
  updatedBy: () => sql.ref("s.updated_by"),
  lastAccessedAt: () => sql.ref("s.last_accessed_at"),
  lastAccessedBy: () => {
    const by = sql.ref("s.last_accessed_by");
    const field = (key: string) => sql`json_extract(${by}, ${sql.lit(`$.${key}`)})`;
    return sql`case
      when ${by} is null then null
      when not json_valid(${by}) then null
      when json_type(${by}) = 'object' and json_remove(${by}, '$.kind', '$.id', '$.name') = '{}'
        and ${among(field("kind"), shape.lastAccessedBy.unwrap().shape.kind.options, sql`null`)} is not null
        and json_type(${by}, '$.id') = 'text' and json_type(${by}, '$.name') = 'text'
        then json_object('kind', ${field("kind")}, 'id', ${field("id")}, 'name', ${field("name")})
      else ${notPlain(by)} end`;
  },
  version: () => sql`case
      when typeof(s.current_version) = 'integer' and abs(s.current_version) <= ${sql.lit(Number.MAX_SAFE_INTEGER)}
        then s.current_version
      else ${notPlain(sql.ref("s.current_version"))} end`,
  archived: () => bool(sql`s.archived = 1`),
};

/** True for the error a row that is not plain stops the statement with (and any other malformed JSON). */
export const isNotPlain = (error: unknown) => (error as Error | null)?.message === "malformed JSON";

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

/** The page's answer text: the items, then the cursor, as `secretListSchema` orders them. */
export const pageJson = (items: string[], nextCursor: string | null) =>
  `{"secrets":[${items.join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`;

/**
 * A list page's items written as JSON by SQLite itself, from the response schema's keys (decision 0325).
 * On a page of 100, building 1,500 values in JS, copying them into the answer's objects, zod's allowlisting
 * parse and `JSON.stringify` were about a third of the request; here the statement returns one text per
 * item, the exact text the JS path sends (SQLite escapes strings as `JSON.stringify` does), and the page is
 * those texts joined. The allowlist still holds, by construction: the keys written are the schema's own, in
 * its order, each from the expression this table gives it, and a key the schema gains or loses without a
 * change here does not compile. The values are checked too, as zod would check the JS path's object: a
 * damaged column (a version that is no safe integer, a type outside the enum, a last accessor that is
 * JSON but no consumer reference) stops the statement, and the page is a 500 as zod's refusal made it.
 * Text columns need no check: SQLite keeps only text, null or a blob in a column of text affinity, and
 * `json_object` stops on a blob too. PostgreSQL pages keep the
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

const shape = secretMetadataSchema.shape;
const listOf = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)));

/**
 * Stops the statement ("malformed JSON"): what a value zod would refuse becomes. Never constant (SQLite
 * evaluates a constant call once, before the first row) and never valid JSON, whatever the column holds.
 */
const refused = (column: RawBuilder<unknown>) => sql`json('refused ' || coalesce(${column}, ''))`;

/** The column when it is one of the enum's values; otherwise the statement stops. */
const member = (column: string, values: readonly string[]) =>
  sql`case when ${sql.ref(column)} in (${listOf(values)}) then ${sql.ref(column)} else ${refused(sql.ref(column))} end`;

/**
 * Each key's value as `secrets/reads.ts` `view` and `secrets/hosts.ts` `parseAllowedHosts` make it, and as
 * zod then checks it: hosts read as `[]` when unset and `["invalid.invalid"]` when their text is not a list
 * of strings; a last accessor reads null when its text is no JSON or JSON null, and stops the statement
 * when it is JSON but no consumer reference. Tests of JSON text are `case` arms: SQLite may evaluate every operand of `or`
 * and `and`, and a JSON function stops on text that is no JSON. `null` leaves the key out of the side.
 */
const VALUES: {
  [K in ListedKey]: (side: Side, parts: ItemParts) => RawBuilder<unknown> | Expression<unknown> | null;
} = {
  name: () => sql.ref("s.name"),
  type: () => member("s.type", shape.type.options),
  visibility: () => member("s.visibility", shape.visibility.options),
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
  lastAccessedBy: () => {
    const by = sql.ref("s.last_accessed_by");
    const kinds = listOf(shape.lastAccessedBy.unwrap().shape.kind.options);
    type Part = (key: string) => RawBuilder<unknown>;
    const reference = (value: Part, typeOf: Part) => sql`case
      when ${value("kind")} in (${kinds}) and ${typeOf("id")} = 'text' and ${typeOf("name")} = 'text'
        then json_object('kind', ${value("kind")}, 'id', ${value("id")}, 'name', ${value("name")})
      else ${refused(by)} end`;
    // A repeated key: `JSON.parse` keeps its last value, `->>` the first; json_each's ids follow the text.
    const last =
      (column: "value" | "type"): Part =>
      (key) =>
        sql`(select ${sql.raw(column)} from json_each(${by}) where key = ${sql.lit(key)} order by id desc limit 1)`;
    return sql`case
      when ${by} is null then null
      when not json_valid(${by}) then null
      when json_type(${by}) = 'null' then null
      when json_type(${by}) <> 'object' then ${refused(by)}
      when (select count(*) = count(distinct key) from json_each(${by}))
        then ${reference(
          (key) => sql`${by} ->> ${sql.lit(key)}`,
          (key) => sql`json_type(${by}, ${sql.lit(`$.${key}`)})`,
        )}
      else ${reference(last("value"), last("type"))} end`;
  },
  version: () => sql`case
      when typeof(s.current_version) = 'integer' and abs(s.current_version) <= ${sql.lit(Number.MAX_SAFE_INTEGER)}
        then s.current_version
      else ${refused(sql.ref("s.current_version"))} end`,
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

/** The page's answer text: the items, then the cursor, as `secretListSchema` orders them. */
export const pageJson = (items: string[], nextCursor: string | null) =>
  `{"secrets":[${items.join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`;

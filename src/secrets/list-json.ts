/**
 * A list page's items written as JSON by SQLite itself, from the response schema's keys (decision 0325).
 * On a page of 100, building 1,500 values in JS, copying them into the answer's objects, zod's allowlisting
 * parse and `JSON.stringify` were about a third of the request; here the statement returns one text per
 * item, the exact text the JS path sends (SQLite escapes strings as `JSON.stringify` does), and the page is
 * those texts joined. The allowlist still holds, by construction: the keys written are the schema's own, in
 * its order, each from the expression this table gives it, and a key the schema gains or loses without a
 * change here does not compile. PostgreSQL pages keep the JS path (its JSON functions differ, and
 * PostgreSQL 15 cannot test text for valid JSON without failing the statement).
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
  allowedHosts: () => sql`case
      when s.allowed_hosts in ('[]', '') or s.allowed_hosts is null then json_array()
      when json_valid(s.allowed_hosts) and json_type(s.allowed_hosts) = 'array'
        and not exists (select 1 from json_each(s.allowed_hosts) where type <> 'text')
        then json(s.allowed_hosts)
      else json('["invalid.invalid"]') end`,
  scope: (side) => sql.lit(side === "own" ? "project" : "org"),
  overrides: (side, parts) => (side === "own" && parts.overrides ? bool(parts.overrides) : null),
  usageCount: (_side, parts) => parts.usageCount,
  createdAt: () => sql.ref("s.created_at"),
  updatedAt: () => sql.ref("s.updated_at"),
  updatedBy: () => sql.ref("s.updated_by"),
  lastAccessedAt: () => sql.ref("s.last_accessed_at"),
  lastAccessedBy: () => sql`case
      when json_valid(s.last_accessed_by) and json_type(s.last_accessed_by) = 'object'
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

/** The page's answer text: the items, then the cursor, as `secretListSchema` orders them. */
export const pageJson = (items: string[], nextCursor: string | null) =>
  `{"secrets":[${items.join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`;

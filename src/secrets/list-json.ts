/**
 * A list page's items written as JSON by SQLite itself, from the response schema's keys (decisions 0325 and
 * 0340). On a page of 100, building 1,500 values in JS, copying them into the answer's objects, zod's
 * allowlisting parse and `JSON.stringify` were about a third of the request; writing each item with
 * `json_object` in the page's statement then cost the statement 1.5 µs a row. So the parts of an item that
 * depend on its row alone are kept as text in the row itself (`list_head`, `list_tail`), written by the
 * database on every change of the row (list-text.ts), and the page's statement only joins them with what
 * it computes: the scope, the override flag and the consumer count. The text is the exact text the JS path
 * sends (SQLite escapes strings as `JSON.stringify` does). The allowlist still holds, by construction: the
 * keys written are the schema's own, in its order, each from the expression this table gives it, and a key
 * the schema gains or loses without a change here does not compile. Only a plain row gets its text (see
 * `STORED`); any other row keeps none, that stops the page's statement, and the page is listed by the JS
 * path, which answers the same text or refuses with a 500. PostgreSQL pages keep the JS path (its JSON
 * functions differ, and PostgreSQL 15 cannot test text for valid JSON without failing the statement).
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

/** The keys a page computes; every other key depends on the row alone and is kept as text in it. */
const COMPUTED = ["scope", "overrides", "usageCount"] as const;
type StoredKey = Exclude<ListedKey, (typeof COMPUTED)[number]>;

const shape = secretMetadataSchema.shape;

/** A key's value, and when it is not always plain, the condition for a plain one (it never fails). */
interface Stored {
  value: RawBuilder<unknown>;
  plain?: RawBuilder<unknown>;
}

/** `typeof` of a text column is text or null, or blob (which `json_object` cannot hold). */
const textual = (column: RawBuilder<unknown>): Stored => ({
  value: column,
  plain: sql`typeof(${column}) <> 'blob'`,
});
const among = (value: RawBuilder<unknown>, values: readonly string[]) =>
  sql`${value} in (${sql.join(values.map((v) => sql.lit(v)))})`;

/**
 * Each stored key's value for a row (`col` names its columns: "new" in a trigger), as `secrets/reads.ts`
 * `view` makes it and zod then passes it, and what makes the row plain: enum values in their enums; a host
 * list of plain strings; no last accessor, or a consumer reference of exactly its three keys as minified
 * JSON without escapes; a safe integer version. Anything else (longer or escaped host lists, a damaged column, a
 * repeated key) is left to the JS path, whose answer is the reference. Every test of JSON text is a `case`
 * arm: SQLite may evaluate every operand of `or` and `and`, and a JSON function fails on text that is no
 * JSON, which would fail the write that changed the row.
 */
const STORED: { [K in StoredKey]: (col: (name: string) => RawBuilder<unknown>) => Stored } = {
  name: (col) => textual(col("name")),
  type: (col) => ({ value: col("type"), plain: among(col("type"), shape.type.options) }),
  visibility: (col) => ({
    value: col("visibility"),
    plain: among(col("visibility"), shape.visibility.options),
  }),
  description: (col) => textual(col("description")),
  allowedHosts: (col) => {
    const hosts = col("allowed_hosts");
    // A list of strings as the service writes it: minified, no backslash (so no escapes, and a control
    // character would not be valid JSON), and no comma but between two strings. Its text is then what
    // `JSON.stringify` makes of its parse.
    const empty = sql`${hosts} = '[]' or ${hosts} = ''`;
    return {
      value: sql`case when ${empty} then json_array() else json(${hosts}) end`,
      plain: sql`case
        when ${empty} then 1
        when not json_valid(${hosts}) then 0
        when substr(${hosts}, 1, 2) = '["' and substr(${hosts}, -2) = '"]' and ${hosts} = json(${hosts})
          and instr(${hosts}, char(92)) = 0
          and instr(replace(${hosts}, '","', ''), ',') = 0
          then 1
        else 0 end`,
    };
  },
  createdAt: (col) => textual(col("created_at")),
  updatedAt: (col) => textual(col("updated_at")),
  updatedBy: (col) => textual(col("updated_by")),
  lastAccessedAt: (col) => textual(col("last_accessed_at")),
  lastAccessedBy: (col) => {
    const by = col("last_accessed_by");
    const field = (key: string) => sql`json_extract(${by}, ${sql.lit(`$.${key}`)})`;
    // None: JS reads both as null. Any other text must be minified JSON without escapes, so that SQLite and
    // JSON.parse read the same thing: a text SQLite takes for JSON only up to a NUL, a nesting SQLite
    // refuses, or an escaped lone surrogate (which SQLite decodes to U+FFFD) is left to the JS path.
    const none = sql`${by} is null or ${by} = ''`;
    return {
      value: sql`case when ${none} then null
        else json_object('kind', ${field("kind")}, 'id', ${field("id")}, 'name', ${field("name")}) end`,
      plain: sql`case
        when ${none} then 1
        when typeof(${by}) <> 'text' or not json_valid(${by}) then 0
        when ${by} = json(${by}) and instr(${by}, char(92)) = 0
          and json_type(${by}) = 'object' and json_remove(${by}, '$.kind', '$.id', '$.name') = '{}'
          and ${among(field("kind"), shape.lastAccessedBy.unwrap().shape.kind.options)}
          and json_type(${by}, '$.id') = 'text' and json_type(${by}, '$.name') = 'text'
          then 1
        else 0 end`,
    };
  },
  version: (col) => {
    const version = col("current_version");
    const safe = Number.MAX_SAFE_INTEGER;
    return {
      value: version,
      plain: sql`typeof(${version}) = 'integer' and ${version} between ${sql.lit(-safe)} and ${sql.lit(safe)}`,
    };
  },
  archived: (col) => ({ value: sql`json(iif(${col("archived")} = 1, 'true', 'false'))` }),
};

/** The response schema's keys in its order: the order zod's parse gives the JS path's answer. */
const KEYS = Object.keys(secretMetadataSchema.shape).filter((k): k is ListedKey => k !== "usedBy");
const first = KEYS.indexOf(COMPUTED[0]);
// The item is head, then the computed keys, then tail, each part holding at least one key (the joins'
// commas depend on it).
if (first < 1 || first + COMPUTED.length >= KEYS.length)
  throw new Error(`secretMetadataSchema must have keys before ${COMPUTED[0]} and after ${COMPUTED.at(-1)}`);
if (KEYS.slice(first, first + COMPUTED.length).join() !== COMPUTED.join())
  throw new Error(`secretMetadataSchema must list ${COMPUTED.join(", ")} together, in this order`);
/** The stored keys before the computed ones, and after them. */
const HEAD = KEYS.slice(0, first) as StoredKey[];
const TAIL = KEYS.slice(first + COMPUTED.length) as StoredKey[];

/**
 * The row's text for `keys`, or null when the row is not plain: the members of a JSON object, the head
 * (`keys` from the first) without its closing brace, the tail without its opening one.
 */
function storedText(
  col: (name: string) => RawBuilder<unknown>,
  keys: StoredKey[],
): RawBuilder<string | null> {
  const parts = keys.map((key) => ({ key, ...STORED[key](col) }));
  const object = sql`json_object(${sql.join(parts.flatMap((p) => [sql.lit(p.key), p.value]))})`;
  const text = keys === HEAD ? sql`substr(${object}, 1, length(${object}) - 1)` : sql`substr(${object}, 2)`;
  const plain = parts.flatMap((p) => (p.plain ? [sql`(${p.plain})`] : []));
  return plain.length === 0 ? sql`${text}` : sql`case when ${sql.join(plain, sql` and `)} then ${text} end`;
}

/**
 * The columns that keep a row's text, the expressions that write them over the row `row` ("new" in a
 * trigger), and the row's columns those read: the columns whose change must write them again.
 */
export function storedColumns(row: string) {
  const reads = new Set<string>();
  const col = (name: string) => {
    reads.add(name);
    return sql.ref(`${row}.${name}`);
  };
  const columns = { list_head: storedText(col, HEAD), list_tail: storedText(col, TAIL) };
  return { columns, reads: [...reads] };
}

/**
 * Stops the statement with SQLite's "malformed JSON": what a row without its text becomes, so the page goes
 * the JS way (`isNotPlain`). Never constant (SQLite evaluates a constant call once, before the first row)
 * and never valid JSON, whatever the column holds.
 */
const notPlain = (column: RawBuilder<unknown>) => sql`json('not plain ' || coalesce(${column}, ''))`;

/** True for the error a row that is not plain stops the statement with (and any other malformed JSON). */
export const isNotPlain = (error: unknown) => (error as Error | null)?.message === "malformed JSON";

/** One item of this side's page as JSON text: the row's head, the computed keys, the row's tail. */
export function itemJson(side: Side, parts: ItemParts): RawBuilder<string> {
  const computed: Record<(typeof COMPUTED)[number], RawBuilder<unknown> | Expression<unknown> | null> = {
    scope: sql.lit(JSON.stringify(side === "own" ? "project" : "org")),
    overrides: side === "own" && parts.overrides ? sql`iif(${parts.overrides}, 'true', 'false')` : null,
    usageCount: parts.usageCount,
  };
  const pieces: (RawBuilder<unknown> | Expression<unknown>)[] = [];
  for (const key of COMPUTED) {
    const value = computed[key];
    if (value !== null) pieces.push(sql.lit(`,${JSON.stringify(key)}:`), value);
  }
  const head = sql.ref("s.list_head");
  const tail = sql.ref("s.list_tail");
  return sql<string>`coalesce(${head}, ${notPlain(head)}) || ${sql.join(pieces, sql` || `)} || ',' || coalesce(${tail}, ${notPlain(tail)})`;
}

/** The page's answer text: the items, then the cursor, as `secretListSchema` orders them. */
export const pageJson = (items: string[], nextCursor: string | null) =>
  `{"secrets":[${items.join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`;

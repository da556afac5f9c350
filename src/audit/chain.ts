/**
 * The pure part of the audit chain (A3): how a row is encoded and hashed, and the guard that keeps values
 * and tokens out of `details`. See docs/decisions/0105-audit-hash-chain.md.
 */
import { actorId, actorLabel } from "../caller.js";
import { hmacSha256Hex, sha256Hex } from "../crypto/index.js";
import type { AuditLogTable } from "../store/schema.js";
import type { AuditEntry, AuditEntryInput } from "./types.js";

export const GENESIS_HASH = "0".repeat(64);
/** The chain of entries that belong to no organization. Not a valid org id (ids are UUIDs). */
export const SYSTEM_CHAIN = "_system";
/**
 * How an entry is hashed, stored with it so old and new entries stay verifiable side by side. Format 1 (the
 * first releases) is an unkeyed sha256 that anyone who can write the database could recompute; every entry
 * written now is format 2, an HMAC with the audit key (key.ts), and verify refuses a format 1 entry after a
 * format 2 one in the same chain (a downgrade).
 */
export const FORMAT_UNKEYED = 1;
export const FORMAT_KEYED = 2;
const ENCODING_TAG: Record<number, string> = {
  [FORMAT_UNKEYED]: "cloakroom-audit-v1",
  [FORMAT_KEYED]: "cloakroom-audit-v2",
};

export type AuditRow = AuditLogTable;
export type UnhashedRow = Omit<AuditRow, "prev_hash" | "hash">;

export function chainOf(orgId: string | null): string {
  return orgId ?? SYSTEM_CHAIN;
}

/**
 * Every stored field, in a fixed order, as a JSON array: strings, numbers and nulls only, so the encoding
 * is unambiguous (no separator can be forged inside a field) and identical on every Node version.
 */
export function canonicalEncoding(row: UnhashedRow): string {
  const tag = ENCODING_TAG[row.format];
  if (tag === undefined) throw new Error(`unknown audit entry format ${row.format}`);
  return JSON.stringify([
    tag,
    row.id,
    row.chain,
    row.chain_seq,
    row.org_id,
    row.at,
    row.actor_type,
    row.actor_id,
    row.actor_name,
    row.action,
    row.target_type,
    row.target_id,
    row.target_name,
    row.outcome,
    row.source_ip,
    row.details,
  ]);
}

/** The entry's hash: keyed (format 2) needs the audit key; format 1 is only ever verified, never written. */
export function entryHash(prevHash: string, row: UnhashedRow, key: Buffer | undefined): string {
  const text = prevHash + canonicalEncoding(row);
  if (row.format === FORMAT_UNKEYED) return sha256Hex(text);
  if (key === undefined) throw new Error("a keyed audit entry needs the audit key");
  return hmacSha256Hex(key, text);
}

const MAX_FIELD = 500;
const MAX_DETAILS_JSON = 8 * 1024;
const MAX_DEPTH = 5;
const MAX_ITEMS = 100;

/**
 * Text as both databases will store and return it: PostgreSQL rejects NUL and both turn a lone surrogate
 * into U+FFFD, which would make the stored row hash differently from what was hashed at append time.
 */
export function storableText(text: string, max = MAX_FIELD): string {
  const clean = text
    .replace(/\u0000/g, "\uFFFD")
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  if (clean.length <= max) return clean;
  // Cutting between the halves of a surrogate pair would leave a lone one.
  const cut = /[\uD800-\uDBFF]/.test(clean[max - 1] ?? "") ? max - 1 : max;
  return `${clean.slice(0, cut)}…`;
}

const optionalText = (text: string | null | undefined): string | null =>
  text === null || text === undefined ? null : storableText(text);

/**
 * A key is dropped when, lowercased and stripped of separators, it is or ends with one of these: `value`,
 * `newValue`, `password`, `apiToken`, `tokenHash`, `clientSecret` all go; `tokenId`, `secretName`,
 * `secrets` (a list of names) stay.
 */
const SENSITIVE_KEY =
  /(value|values|password|passwd|passphrase|token|secret|hash|ciphertext|credential|credentials|apikey|privatekey|rootkey)$/;
/** Cloakroom's own tokens, wherever a caller put one by mistake. */
const TOKEN_PATTERN = /crk_[sti]_[A-Za-z0-9_-]{8,}/g;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ""));
}

/** A JSON-safe copy of `details` without sensitive keys, tokens, or unbounded size. */
export function sanitizeDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  const clean = sanitizeValue(details ?? {}, 0);
  const out = clean !== null && typeof clean === "object" && !Array.isArray(clean) ? clean : {};
  if (JSON.stringify(out).length > MAX_DETAILS_JSON) return { truncated: true };
  return out as Record<string, unknown>;
}

function sanitizeValue(value: unknown, depth: number): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
      return storableText(value.replace(TOKEN_PATTERN, "[[SENSITIVE]]"));
    case "number":
      return Number.isFinite(value) ? value : null;
    case "boolean":
      return value;
    case "object":
      break;
    default:
      // bigint, function, symbol, undefined: not JSON; dropped by the caller.
      return undefined;
  }
  if (depth >= MAX_DEPTH) return "[nested too deep]";
  if (Array.isArray(value)) {
    return value
      .slice(0, MAX_ITEMS)
      .map((item) => sanitizeValue(item, depth + 1))
      .map((item) => (item === undefined ? null : item));
  }
  // A null prototype: a "__proto__" key becomes an own property instead of changing the prototype.
  const out: Record<string, unknown> = Object.create(null);
  let kept = 0;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (kept >= MAX_ITEMS) break;
    if (isSensitiveKey(key)) continue;
    const clean = sanitizeValue(item, depth + 1);
    if (clean === undefined) continue;
    out[storableText(key, 100)] = clean;
    kept += 1;
  }
  return out;
}

/** The row for `entry`, everything but its place in the chain and its hashes. */
export function rowFields(entry: AuditEntryInput, id: string, at: string): Omit<UnhashedRow, "chain_seq"> {
  const actor = entry.actor;
  let actorCols: Pick<AuditRow, "actor_type" | "actor_id" | "actor_name">;
  if (!actor) actorCols = { actor_type: "anonymous", actor_id: null, actor_name: null };
  else if (actor.type === "system")
    actorCols = { actor_type: "system", actor_id: null, actor_name: optionalText(actor.name) };
  else
    actorCols = {
      actor_type: actor.type,
      actor_id: actorId(actor),
      actor_name: optionalText(actorLabel(actor)),
    };
  return {
    id,
    chain: chainOf(entry.orgId),
    org_id: entry.orgId,
    at,
    ...actorCols,
    action: storableText(entry.action, 100),
    target_type: optionalText(entry.target?.type),
    target_id: optionalText(entry.target?.id),
    target_name: optionalText(entry.target?.name),
    outcome: entry.outcome,
    source_ip: optionalText(entry.sourceIp),
    details: JSON.stringify(sanitizeDetails(entry.details)),
    format: FORMAT_KEYED,
  };
}

export function toEntry(row: AuditRow): AuditEntry {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.details);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
      details = parsed as Record<string, unknown>;
  } catch {
    // An edited row; `audit verify` reports it. The listing still answers.
  }
  return {
    id: row.id,
    at: row.at,
    orgId: row.org_id,
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    action: row.action,
    target:
      row.target_type === null ? null : { type: row.target_type, id: row.target_id, name: row.target_name },
    outcome: row.outcome,
    sourceIp: row.source_ip,
    details,
  };
}

/** Types the secrets domain shares with the runtime (consumers, runs) and the HTTP layer. */
import type { z } from "zod";
import type { Tx } from "../store/db.js";
import type { secretMetadataSchema } from "./schema.js";

export const secretTypes = ["token", "username_password", "json"] as const;
export type SecretType = (typeof secretTypes)[number];
export const visibilities = ["restricted", "masked"] as const;
export type Visibility = (typeof visibilities)[number];

/** A decrypted value as consumers see it: token → string, username_password → pair, json → object. */
export type SecretValue = string | { username: string; password: string } | { [key: string]: unknown };

/** Where a secret lives: the organization (shared by its projects) or one project. */
export interface Scope {
  orgId: string;
  projectId: string | null;
}

/** A consumer as it appears in `usedBy` and `lastAccessedBy`. */
export interface ConsumerRef {
  kind: "integration" | "logic" | "template" | "flow" | "installation";
  id: string;
  name: string;
}

/** Metadata shown for a secret (S5), never a value: the type of the API's schema. */
export type SecretMetadata = z.output<typeof secretMetadataSchema>;

/** What a consumer's declared names point at, as seen from its project (a project secret wins). */
export interface DeclaredSecrets {
  refs: { name: string; secretId: string; visibility: Visibility; type: SecretType }[];
  /** Declared names with no secret in the project or its organization. */
  missing: string[];
}

/**
 * The runtime's view of secrets. Values are decrypted once per version into a bounded cache that an
 * update, rollback, archive or delete invalidates (S4), on this node at once and on other nodes at commit.
 */
export interface SecretResolver {
  /** Resolves a consumer's declared secrets for a run; a run needing an archived secret fails (S7). */
  resolveForRun(
    scope: { orgId: string; projectId: string },
    names: string[],
    consumer: ConsumerRef,
  ): Promise<{
    values: Record<string, SecretValue>;
    /** S12: the hosts each resolved name's value may be sent to, for the names bound to some. */
    allowedHosts?: Record<string, readonly string[]>;
  }>;
  /**
   * Every value of every live secret of the organization and project, as strings to redact (X6): the
   * current version's and those of the previous versions still kept (S9).
   */
  redactionValues(scope: { orgId: string; projectId: string }): Promise<string[]>;
  /**
   * The run's log held values of live secrets the consumer did not declare (the redactor as an oracle):
   * each such secret's access is recorded (an audit entry, last accessed: X7). Returns their names.
   */
  recordUndeclaredMatch(
    scope: { orgId: string; projectId: string },
    values: readonly string[],
    run: { consumer: ConsumerRef; eventId: string; entryId: string },
  ): Promise<string[]>;
  /** Save-time lookup of declared names, inside the consumer's transaction. */
  declared(tx: Tx, scope: { orgId: string; projectId: string }, names: string[]): Promise<DeclaredSecrets>;
}

/**
 * Splits a value into the strings that must never appear in a log: every string leaf, usernames included,
 * and every number leaf as its JSON text (a PIN or an account number stored as a number; the redactor skips
 * those under 4 characters as it does strings). Boolean leaves are not: `true` and `false` would blank
 * every boolean of every log of the organization, for a single bit (docs/decisions/0131).
 */
export function sensitiveStrings(value: SecretValue): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.push(v);
    else if (typeof v === "number") out.push(JSON.stringify(v));
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
  };
  walk(value);
  // Basic auth sends base64("username:password"): the pair's joint form hides the digits that straddle
  // the colon, which neither part alone covers.
  if (value && typeof value === "object" && "username" in value && "password" in value) {
    const { username, password } = value as { username: unknown; password: unknown };
    if (typeof username === "string" && typeof password === "string") out.push(`${username}:${password}`);
  }
  return out;
}

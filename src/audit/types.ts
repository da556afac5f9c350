import type { Actor } from "../auth/types.js";
import type { Tx } from "../store/db.js";
import type { AuditAction } from "./actions.js";

export type AuditOutcome = "success" | "denied" | "failure";

/** The server acting on its own behalf (key rotation from the CLI, migrations). */
export interface SystemActor {
  type: "system";
  name: string;
}

export interface AuditEntryInput {
  /** null: the entry belongs to no organization (sign-ins, probes of unknown organizations). */
  orgId: string | null;
  /** null: an anonymous caller. */
  actor: Actor | SystemActor | null;
  /** Dotted verb, e.g. "secret.create", "secret.reveal", "member.update", "auth.login" (actions.ts). */
  action: AuditAction;
  target?: { type: string; id?: string | undefined; name?: string | undefined } | undefined;
  outcome: AuditOutcome;
  sourceIp?: string | null | undefined;
  /** Names, ids, roles, reasons. Never a value or token: keys that look like one are dropped. */
  details?: Record<string, unknown> | undefined;
}

export interface AuditEntry {
  id: string;
  at: string;
  orgId: string | null;
  actor: { type: "user" | "token" | "system" | "anonymous"; id: string | null; name: string | null };
  action: string;
  target: { type: string; id: string | null; name: string | null } | null;
  outcome: AuditOutcome;
  sourceIp: string | null;
  details: Record<string, unknown>;
}

export interface AuditLog {
  /**
   * Appends inside the caller's transaction (A2): if the append fails, the change rolls back. `tx` must be a
   * transaction from `Store.transaction`. Append last in the transaction: on PostgreSQL the chain head stays
   * locked until commit.
   */
  append(tx: Tx, entry: AuditEntryInput): Promise<void>;
  /** Appends in a transaction of its own, for denied and failed requests that change nothing else. */
  appendNow(entry: AuditEntryInput): Promise<void>;
  /** Newest first; `before` is the id of the last entry of the previous page. */
  list(orgId: string, page: { limit: number; before?: string | undefined }): Promise<AuditEntry[]>;
}

export type VerifyResult =
  | { ok: true; checked: number }
  | { ok: false; checked: number; chain: string; seq: number; id?: string; reason: string };

/**
 * The one path for an audited change (A1, A2): authorize, run the change in a transaction that ends with
 * its success entry, and record a refusal after the rollback, under the same action name. Authorization is
 * passed in (auth/policy.ts through auth/audited.ts), so the audit domain depends on no caller's domain.
 */
import { AppError, type ErrorCode } from "../errors.js";
import { isUniqueViolation, type Store, type Tx } from "../store/db.js";
import type { AuditAction } from "./actions.js";
import type { AuditEntryInput, AuditLog } from "./types.js";

export type AuditTarget = { type: string; id?: string | undefined; name?: string | undefined };

/** Who acts, as the entries name them. */
export interface AuditCaller {
  orgId: string | null;
  actor: AuditEntryInput["actor"];
  sourceIp: string | null;
  /** The target of a refusal that names none (the organization). */
  target?: AuditTarget | undefined;
  /** What every refusal entry adds (the caller's role). */
  refusalDetails?: Record<string, unknown> | undefined;
}

/** What a change is, for its authorization and both of its possible entries. */
export interface AuditedChange<P extends string = string> {
  action: AuditAction;
  target?: AuditTarget | undefined;
  /** Permissions this change needs beyond its action's own (creating a secret with allowed hosts). */
  needs?: readonly P[] | undefined;
  /** What a unique violation in the change means (the database decides uniqueness, STYLE.md). */
  unique?: { code: ErrorCode; message: string } | undefined;
}

/** Why a change is refused; recorded, then thrown as an AppError. */
export interface Refusal {
  reason: string;
  message: string;
  /** Default `forbidden`. */
  code?: ErrorCode | undefined;
  /** Default "denied"; "failure" for a wrong password. */
  outcome?: "denied" | "failure" | undefined;
  target?: AuditTarget | undefined;
  details?: Record<string, unknown> | undefined;
}

/** A refusal decided inside a change: the transaction rolls back, then the refusal is recorded. */
class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/** Refuses from inside a change (the owner rule, an already set-up server). */
export function refuse(refusal: Refusal): never {
  throw new Refused(refusal);
}

/** The success entry, which the change fills in as it learns (the new id, what changed). */
export interface ChangeEntry {
  target: AuditTarget | undefined;
  details: Record<string, unknown>;
  /** Set when the entry belongs elsewhere than the caller's (setup: the new organization and user). */
  orgId?: string | null | undefined;
  actor?: AuditEntryInput["actor"] | undefined;
  /** false: nothing changed, so nothing is recorded (a setting set to the value it had). */
  record: boolean;
}

export interface AuditedDeps<A, P extends string> {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
  caller(access: A): AuditCaller;
  /** The policy check: null when `access` may make `change`. Pure: it records nothing. */
  authorize(access: A, change: AuditedChange<P>): Refusal | null;
}

export interface Audited<A, P extends string = string> {
  /** Authorizes, then runs `fn` in a transaction that ends with the success entry (unless it sets `record` false). */
  <T>(access: A, change: AuditedChange<P>, fn: (tx: Tx, entry: ChangeEntry) => Promise<T>): Promise<T>;
  /** The policy check alone, for reads and for work due before the transaction; a refusal is recorded and thrown. */
  authorize(access: A, change: AuditedChange<P>): Promise<void>;
  /** Records a refusal decided outside any change, then throws it. */
  refuse(access: A, change: AuditedChange<P>, refusal: Refusal): Promise<never>;
}

export function createAudited<A, P extends string = string>(deps: AuditedDeps<A, P>): Audited<A, P> {
  const { store, audit } = deps;

  async function record(access: A, change: AuditedChange<P>, refusal: Refusal): Promise<never> {
    const caller = deps.caller(access);
    await audit.appendNow({
      orgId: caller.orgId,
      actor: caller.actor,
      action: change.action,
      target: refusal.target ?? change.target ?? caller.target,
      outcome: refusal.outcome ?? "denied",
      sourceIp: caller.sourceIp,
      details: { ...caller.refusalDetails, reason: refusal.reason, ...refusal.details },
    });
    throw new AppError(refusal.code ?? "forbidden", refusal.message);
  }

  async function authorize(access: A, change: AuditedChange<P>): Promise<void> {
    const refusal = deps.authorize(access, change);
    if (refusal) await record(access, change, refusal);
  }

  async function run<T>(
    access: A,
    change: AuditedChange<P>,
    fn: (tx: Tx, entry: ChangeEntry) => Promise<T>,
  ): Promise<T> {
    await authorize(access, change);
    const caller = deps.caller(access);
    try {
      return await store.transaction(async (tx) => {
        const entry: ChangeEntry = { target: change.target, details: {}, record: true };
        let result: T;
        try {
          result = await fn(tx, entry);
        } catch (error) {
          // Only the change's own writes: a failure of the append below passes through unchanged.
          if (change.unique && isUniqueViolation(error)) {
            throw new AppError(change.unique.code, change.unique.message);
          }
          throw error;
        }
        if (entry.record) {
          await audit.append(tx, {
            orgId: entry.orgId !== undefined ? entry.orgId : caller.orgId,
            actor: entry.actor ?? caller.actor,
            action: change.action,
            target: entry.target,
            outcome: "success",
            sourceIp: caller.sourceIp,
            details: entry.details,
          });
        }
        return result;
      });
    } catch (error) {
      if (error instanceof Refused) return record(access, change, error.refusal);
      throw error;
    }
  }

  return Object.assign(run, {
    authorize,
    refuse: (access: A, change: AuditedChange<P>, refusal: Refusal) => record(access, change, refusal),
  });
}

/**
 * What every consumer's save shares, app installations' too (X8): the declared names looked up inside the
 * saving transaction, so a concurrent delete cannot slip between (S6), and the audited change whose entry
 * names the consumer and its project (A1, A2).
 */
import type { AuditTarget } from "../audit/audited.js";
import type { OrgAudited } from "../auth/audited.js";
import { AppError, type ErrorCode } from "../errors.js";
import type { DeclaredSecrets, SecretResolver } from "../secrets/types.js";
import type { Tx } from "../store/db.js";
import { sameSecretTwice, undeclaredNames } from "./fns.js";
import type { ProjectTarget } from "./project.js";

export type DeclaredRefs = DeclaredSecrets["refs"];

/**
 * Declared names → secret ids: a name with no secret is refused (`details.missing`), as are two names for
 * one secret. `check` sees the refs in between (a template's typed parts against the secrets' types).
 */
export async function declaredRefs(
  secrets: Pick<SecretResolver, "declared">,
  tx: Tx,
  t: ProjectTarget,
  names: string[],
  check?: (refs: DeclaredRefs) => void,
): Promise<DeclaredRefs> {
  const scope = { orgId: t.access.org.id, projectId: t.project.id };
  const { refs, missing } = await secrets.declared(tx, scope, names);
  if (missing.length > 0) {
    throw new AppError("invalid_request", `no such secrets: ${missing.join(", ")}`, {
      fields: [{ field: "body.secrets", message: `${missing.join(", ")} do not exist` }],
      missing,
    });
  }
  check?.(refs);
  const twice = sameSecretTwice(refs);
  if (twice.length > 0) {
    const pairs = twice.map((same) => same.join(" and ")).join("; ");
    throw new AppError("invalid_request", `these declared names are the same secret: ${pairs}`, {
      fields: [{ field: "body.secrets", message: "declare each secret once" }],
    });
  }
  return refs;
}

export type ConsumerChangeAction = "consumer.create" | "consumer.update" | "consumer.delete";

/** What a change's function answers: the consumer as its entry names it, the result, the entry's details. */
export interface ChangeOutcome<T> {
  target: { type: string; id: string; name: string };
  result: T;
  details: Record<string, unknown>;
}

export type ConsumerChange = <T>(
  t: ProjectTarget,
  change: {
    action: ConsumerChangeAction;
    target: AuditTarget;
    unique?: { code: ErrorCode; message: string };
  },
  fn: (tx: Tx) => Promise<ChangeOutcome<T>>,
) => Promise<T>;

/** The audited change of one consumer: its entry names the consumer and the project (A1, A2). */
export function consumerChange(audited: OrgAudited): ConsumerChange {
  return (t, change, fn) =>
    audited(t.access, change, async (tx, entry) => {
      const { target, result, details } = await fn(tx);
      entry.target = target;
      entry.details = { project: t.project.slug, ...details };
      return result;
    });
}

/** Names used but not declared are refused with their names (`details.undeclared`); `message` says where. */
export function requireDeclared(
  used: readonly string[],
  declared: readonly string[],
  policy: "upper_snake" | "alias",
  message: (names: string) => string,
): void {
  const undeclared = undeclaredNames(used, declared, policy);
  if (undeclared.length === 0) return;
  throw new AppError("invalid_request", message(undeclared.join(", ")), {
    fields: [{ field: "body.secrets", message: `add ${undeclared.join(", ")} to secrets` }],
    undeclared,
  });
}

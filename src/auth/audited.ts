/**
 * audit/audited.ts bound to this domain: an organization member's changes are authorized by policy.ts
 * (the refusal names the permission the role lacks), and changes made outside any organization's access
 * (setup, sign-in, a new organization) by a caller named as is.
 */
import { type AuditCaller, type Audited, createAudited } from "../audit/audited.js";
import type { AuditLog } from "../audit/types.js";
import type { Store } from "../store/db.js";
import { type Action, missingPermission } from "./policy.js";
import type { OrgAccess } from "./types.js";

export type OrgAudited = Audited<OrgAccess, Action>;

interface Deps {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
}

export function orgAudited(deps: Deps): OrgAudited {
  return createAudited<OrgAccess, Action>({
    ...deps,
    caller: (access) => ({
      orgId: access.org.id,
      actor: access.actor,
      sourceIp: access.ctx.sourceIp,
      target: { type: "org", id: access.org.id, name: access.org.slug },
      refusalDetails: { role: access.role },
    }),
    authorize(access, change) {
      const missing = missingPermission(access.role, access.org, change.action, change.needs);
      if (missing === null) return null;
      return { reason: "role", message: `your role (${access.role}) does not allow ${missing}` };
    },
  });
}

/** Changes by a caller who has no organization access (yet): nothing to authorize against the table. */
export function callerAudited(deps: Deps): Audited<AuditCaller> {
  return createAudited<AuditCaller>({ ...deps, caller: (c) => c, authorize: () => null });
}

/** The caller's types live in src/caller.ts (below audit and http); re-exported for auth's modules. */
import type { Actor, RequestContext, Role } from "../caller.js";

export { type Actor, actorId, actorLabel, type RequestContext, type Role, roles } from "../caller.js";

export interface OrgRecord {
  id: string;
  slug: string;
  name: string;
  namingPolicy: "upper_snake" | "alias";
  editorsManageSecrets: boolean;
  /** S11's second setting: editors may hand restricted secrets to code (logic functions). */
  editorsComputeWithRestricted: boolean;
  versionsKept: number;
  createdAt: string;
}

/** The caller's standing in one organization, after authentication and membership are checked. */
export interface OrgAccess {
  ctx: RequestContext;
  actor: Actor;
  org: OrgRecord;
  role: Role;
}

export interface ProjectRecord {
  id: string;
  orgId: string;
  slug: string;
  name: string;
  createdAt: string;
}

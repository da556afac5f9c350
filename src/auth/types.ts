/** Who is calling, resolved once per request (STYLE.md: resolve the actor once, into a context). */
export const roles = ["owner", "admin", "editor", "viewer"] as const;
export type Role = (typeof roles)[number];

export type Actor =
  | { type: "user"; userId: string; email: string }
  | { type: "token"; tokenId: string; orgId: string; role: Role; name: string };

export interface RequestContext {
  /** null for an anonymous request (only setup, login and health routes accept one). */
  actor: Actor | null;
  sourceIp: string;
  requestId: string;
}

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

/** How an actor appears in audit entries and "updated by" columns: never a token value. */
export function actorLabel(actor: Actor): string {
  return actor.type === "user" ? actor.email : `token:${actor.name}`;
}

export function actorId(actor: Actor): string {
  return actor.type === "user" ? actor.userId : actor.tokenId;
}

export interface ProjectRecord {
  id: string;
  orgId: string;
  slug: string;
  name: string;
  createdAt: string;
}

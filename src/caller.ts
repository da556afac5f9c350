/**
 * Who is calling, resolved once per request (STYLE.md: resolve the actor once, into a context). Low in the
 * layering (docs/ARCHITECTURE.md) so that http, audit and every domain name the caller without importing
 * auth, which resolves it.
 */
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

/** How an actor appears in audit entries and "updated by" columns: never a token value. */
export function actorLabel(actor: Actor): string {
  return actor.type === "user" ? actor.email : `token:${actor.name}`;
}

export function actorId(actor: Actor): string {
  return actor.type === "user" ? actor.userId : actor.tokenId;
}

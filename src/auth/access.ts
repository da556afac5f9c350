/**
 * A caller's standing in one organization: membership (404 for everyone else, so tenants never learn of
 * each other), what their role allows (policy.ts, through auth/audited.ts), and the organization's projects.
 */
import type { AuditAction } from "../audit/actions.js";
import type { AuditTarget } from "../audit/audited.js";
import { AppError } from "../errors.js";
import { roleKey } from "./lookup-cache.js";
import { type AuthParts, callerOf } from "./parts.js";
import { isValidSlug } from "./schema.js";
import * as q from "./store.js";
import type { OrgAccess, ProjectRecord, RequestContext, Role } from "./types.js";

/** 401 without an actor; 404 when the organization does not exist or the caller is not in it. */
export async function orgAccess(p: AuthParts, ctx: RequestContext, orgSlug: string): Promise<OrgAccess> {
  const actor = ctx.actor;
  if (!actor) throw new AppError("unauthenticated", "sign in or send a valid bearer token");
  // Recorded outside every organization: the probed tenant must not learn who probed it, nor the prober
  // whether it exists.
  const notFound = (reason: string): Promise<never> =>
    p.anonymous.refuse(
      callerOf(ctx),
      { action: "org.access", target: { type: "org", name: orgSlug.slice(0, 200) } },
      { reason, code: "not_found", message: `organization ${orgSlug.slice(0, 63)} not found` },
    );
  const org = isValidSlug(orgSlug)
    ? await p.lookups.get(`o:${orgSlug}`, () => q.orgBySlug(p.store.db, orgSlug))
    : undefined;
  if (!org) return notFound("no_such_org");
  let role: Role | undefined;
  if (actor.type === "token") role = actor.orgId === org.id ? actor.role : undefined;
  else {
    const { userId } = actor;
    // Cached per node like the token and the organization (lookup-cache.ts): a role change or a removal
    // drops it on every node when it commits (members.ts).
    role = await p.lookups.get(roleKey(org.id, userId), () => q.roleOf(p.store.db, org.id, userId));
  }
  if (!role) return notFound("not_a_member");
  return { ctx, actor, org, role };
}

/** Whether the role allows `action`; a refusal is audited under `action` and thrown as 403 `forbidden`. */
export async function authorize(
  p: AuthParts,
  access: OrgAccess,
  action: AuditAction,
  target?: AuditTarget,
): Promise<void> {
  await p.audited.authorize(access, { action, target });
}

/** The organization's project by slug; 404 when there is none. Authorize before calling. */
export async function project(p: AuthParts, access: OrgAccess, projectSlug: string): Promise<ProjectRecord> {
  const found = isValidSlug(projectSlug)
    ? await p.lookups.get(`p:${access.org.id}/${projectSlug}`, () =>
        q.projectBySlug(p.store.db, access.org.id, projectSlug),
      )
    : undefined;
  if (!found) throw new AppError("not_found", `project ${projectSlug.slice(0, 63)} not found`);
  return found;
}

/**
 * An organization's members. Roles are decided by policy.ts; the only rules here beyond it are the owner
 * rules: only owners grant, change or remove the owner role, and the last owner stays.
 */
import { type AuditTarget, refuse } from "../audit/audited.js";
import { AppError } from "../errors.js";
import { roleKey } from "./lookup-cache.js";
import { type AuthParts, allowedInput, memberView, OWNER_RULE, orgList } from "./parts.js";
import { type MemberView, roleSchema } from "./schema.js";
import * as q from "./store.js";
import type { OrgAccess, Role } from "./types.js";

/** Inside a change: only an owner grants, changes or removes the owner role. */
export function requireOwnerFor(access: OrgAccess, roles: Role[], target: AuditTarget): void {
  if (roles.includes("owner") && access.role !== "owner") {
    refuse({ reason: "owner_rule", message: OWNER_RULE, target });
  }
}

const memberNotFound = (userId: string) =>
  new AppError("not_found", `member ${userId.slice(0, 64)} not found`);

export const listMembers = orgList("member.read", q.listMembers, memberView);

export async function updateMember(
  p: AuthParts,
  access: OrgAccess,
  userId: string,
  rawRole: Role,
): Promise<MemberView> {
  const role = await allowedInput(p, access, { action: "member.update" }, roleSchema, rawRole);
  const updated = await p.audited(access, { action: "member.update" }, async (tx, entry) => {
    await q.lockOrg(tx, p.store.dialect, access.org.id);
    const member = await q.memberOf(tx, access.org.id, userId);
    if (!member) throw memberNotFound(userId);
    entry.target = { type: "member", id: userId, name: member.email };
    requireOwnerFor(access, [member.role, role], entry.target);
    entry.record = member.role !== role;
    if (!entry.record) return memberView(member);
    if (member.role === "owner" && (await q.countOwners(tx, access.org.id)) <= 1) {
      throw new AppError("conflict", "the last owner cannot be demoted: make another member owner first");
    }
    await q.setMemberRole(tx, access.org.id, userId, role);
    // The member's cached role on every node goes (lookup-cache.ts): the new role holds at once.
    await p.lookups.changed(tx, roleKey(access.org.id, userId));
    entry.details = { from: member.role, to: role };
    return memberView({ ...member, role });
  });
  p.lookups.drop(roleKey(access.org.id, userId)); // again after commit: a lookup could have read the old role
  return updated;
}

/** Also revokes the API tokens and invitations the member created in this organization (decision 0121). */
export async function removeMember(
  p: AuthParts,
  access: OrgAccess,
  userId: string,
): Promise<{ tokensRevoked: number; invitationsRevoked: number }> {
  const removed = await p.audited(access, { action: "member.remove" }, async (tx, entry) => {
    await q.lockOrg(tx, p.store.dialect, access.org.id);
    const member = await q.memberOf(tx, access.org.id, userId);
    if (!member) throw memberNotFound(userId);
    entry.target = { type: "member", id: userId, name: member.email };
    requireOwnerFor(access, [member.role], entry.target);
    if (member.role === "owner" && (await q.countOwners(tx, access.org.id)) <= 1) {
      throw new AppError("conflict", "the last owner cannot be removed: make another member owner first");
    }
    await q.deleteMember(tx, access.org.id, userId);
    // What the member made keeps their access alive after they leave: it goes with them, in this
    // transaction, so re-adding them later revives none of it.
    const tokens = await q.deleteApiTokensCreatedBy(tx, access.org.id, userId);
    // Their cached role and tokens on every node go with them (lookup-cache.ts), as for a token deleted alone.
    await p.lookups.changed(tx);
    const invitationsRevoked = await q.deleteInvitationsCreatedBy(tx, access.org.id, userId);
    entry.details = {
      role: member.role,
      tokensRevoked: tokens.length,
      revokedTokens: tokens.map((t) => ({ id: t.id, name: t.name })),
      invitationsRevoked,
    };
    return { tokensRevoked: tokens.length, invitationsRevoked };
  });
  p.lookups.drop(); // again after commit, as in deleteToken
  return removed;
}

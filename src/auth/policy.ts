/**
 * The whole permission table of SPEC S11, in one place a reviewer can read top to bottom.
 * Deny by default: an action missing from a role's list is refused.
 */
import type { AuditAction } from "../audit/actions.js";
import type { OrgRecord, Role } from "./types.js";

export const actions = [
  "org.read",
  "org.settings.write",
  "member.read",
  "member.write",
  "token.read",
  "token.write",
  "project.read",
  "project.write",
  "secret.read", // names and metadata
  "secret.write", // create, update, archive, restore, delete, roll back
  "secret.reveal", // masked secrets only; checked again by the secrets service
  "secret.bind", // set a secret's allowedHosts (S12)
  "consumer.read",
  "consumer.write", // build consumers and attach existing secrets
  "consumer.run", // test an integration, run a logic function
  "consumer.compute_restricted", // hand restricted secrets to code: logic functions (S11)
  "event.publish",
  "logs.read",
  "audit.read",
] as const;
export type Action = (typeof actions)[number];

const viewer: Action[] = ["org.read", "project.read", "secret.read", "consumer.read", "logs.read"];
const editor: Action[] = [...viewer, "consumer.write", "consumer.run", "event.publish"];
const admin: Action[] = [
  ...editor,
  "secret.write",
  "secret.reveal",
  "secret.bind",
  "consumer.compute_restricted",
  "member.read",
  "member.write",
  "token.read",
  "token.write",
  "project.write",
  "org.settings.write",
  "audit.read",
];
const owner: Action[] = [...admin];

const table: Record<Role, ReadonlySet<Action>> = {
  owner: new Set(owner),
  admin: new Set(admin),
  editor: new Set(editor),
  viewer: new Set(viewer),
};

/**
 * What an organization's settings add for editors: managing secrets (seed 002's model; never revealing them
 * nor binding them to hosts), and computing with restricted secrets in code (S11's second setting).
 */
export function can(
  role: Role,
  action: Action,
  org: Pick<OrgRecord, "editorsManageSecrets" | "editorsComputeWithRestricted">,
): boolean {
  if (table[role].has(action)) return true;
  if (role !== "editor") return false;
  if (action === "secret.write") return org.editorsManageSecrets;
  if (action === "consumer.compute_restricted") return org.editorsComputeWithRestricted;
  return false;
}

/**
 * The permissions each audited action needs; an action that needs none is checked elsewhere (sign-in,
 * setup, a new organization, accepting an invitation) or is the server's own.
 */
export const permissionsOf: Record<AuditAction, readonly Action[]> = {
  setup: [],
  "auth.login": [],
  "auth.logout": [],
  "org.access": [],
  "org.create": [],
  "org.read": ["org.read"],
  "org.settings.update": ["org.settings.write"],
  "member.read": ["member.read"],
  "member.update": ["member.write"],
  "member.remove": ["member.write"],
  "token.read": ["token.read"],
  "token.create": ["token.write"],
  "token.delete": ["token.write"],
  "invitation.create": ["member.write"],
  "invitation.revoke": ["member.write"],
  "invitation.accept": [],
  "project.read": ["project.read"],
  "project.create": ["project.write"],
  "secret.read": ["secret.read"],
  "secret.create": ["secret.write"],
  "secret.update": ["secret.write"],
  "secret.describe": ["secret.write"],
  "secret.bind": ["secret.bind", "secret.write"],
  "secret.archive": ["secret.write"],
  "secret.restore": ["secret.write"],
  "secret.delete": ["secret.write"],
  "secret.rollback": ["secret.write"],
  "secret.reveal": ["secret.reveal"],
  "secret.access": [],
  "consumer.read": ["consumer.read"],
  "consumer.create": ["consumer.write"],
  "consumer.update": ["consumer.write"],
  "consumer.delete": ["consumer.write"],
  "consumer.run": ["consumer.run"],
  "event.publish": ["event.publish"],
  "logs.read": ["logs.read"],
  "audit.read": ["audit.read"],
  "key.rotate": [],
  "request.denied": [],
  "requests.denied": [],
};

/** The first permission `role` lacks for `action` (and the extra ones a change `needs`); null: allowed. */
export function missingPermission(
  role: Role,
  org: Pick<OrgRecord, "editorsManageSecrets" | "editorsComputeWithRestricted">,
  action: AuditAction,
  needs: readonly Action[] = [],
): Action | null {
  for (const permission of [...needs, ...permissionsOf[action]]) {
    if (!can(role, permission, org)) return permission;
  }
  return null;
}

/** Owners outrank admins: only an owner may grant, change or remove the owner role. */
export const roleRank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

/**
 * Every action an audit entry can name, in one union (A1). A change and its refusal share a name: a
 * refused `secret.create` is logged as `secret.create` with outcome "denied", not under the permission
 * that was missing. Reads are audited only when refused, under the permission they need (`secret.read`).
 * This file imports nothing, so any layer may name an action.
 */
export const auditActions = [
  // first run, sign-in and sessions
  "setup",
  "auth.login",
  "auth.logout",
  // organizations, members, tokens, invitations, projects
  "org.access",
  "org.create",
  "org.read",
  "org.settings.update",
  "member.read",
  "member.update",
  "member.remove",
  "token.read",
  "token.create",
  "token.delete",
  "invitation.create",
  "invitation.revoke",
  "invitation.accept",
  "project.read",
  "project.create",
  // secrets
  "secret.read",
  "secret.create",
  "secret.update",
  "secret.describe",
  "secret.bind",
  "secret.archive",
  "secret.restore",
  "secret.delete",
  "secret.rollback",
  "secret.reveal",
  "secret.access",
  // consumers, events and runs
  "consumer.read",
  "consumer.create",
  "consumer.update",
  "consumer.delete",
  "consumer.run",
  "event.publish",
  "logs.read",
  // the log itself and the keys
  "audit.read",
  "key.rotate",
  // refused before anyone is known (http/denials.ts): one request, and a window's count of them
  "request.denied",
  "requests.denied",
] as const;

export type AuditAction = (typeof auditActions)[number];

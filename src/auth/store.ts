/**
 * Queries over users, sessions, orgs, members, api_tokens, invitations and projects: the only SQL of the auth
 * domain, answering camelCase records with real booleans. No rules here; see the service's modules.
 */
import type { Selectable, Updateable } from "kysely";
import type { Dialect, Tx } from "../store/db.js";
import { prepared } from "../store/prepared.js";
import type { OrgsTable, ProjectsTable } from "../store/schema.js";
import type { OrgRecord, ProjectRecord, Role } from "./types.js";

export function toOrgRecord(row: Selectable<OrgsTable>): OrgRecord {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    namingPolicy: row.naming_policy,
    editorsManageSecrets: Number(row.editors_manage_secrets) === 1,
    editorsComputeWithRestricted: Number(row.editors_compute_with_restricted) === 1,
    versionsKept: Number(row.versions_kept),
    createdAt: row.created_at,
  };
}

export function toProjectRecord(row: ProjectsTable): ProjectRecord {
  return { id: row.id, orgId: row.org_id, slug: row.slug, name: row.name, createdAt: row.created_at };
}

export const countUsers = async (db: Tx): Promise<number> => {
  const row = await db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
};

export interface UserRecord {
  id: string;
  email: string;
  createdAt: string;
}

export async function userByEmail(
  db: Tx,
  email: string,
): Promise<(UserRecord & { passwordHash: string }) | undefined> {
  const row = await db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
  return row && { id: row.id, email: row.email, createdAt: row.created_at, passwordHash: row.password_hash };
}

export async function userById(db: Tx, id: string): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom("users")
    .select(["id", "email", "created_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  return row && { id: row.id, email: row.email, createdAt: row.created_at };
}

export async function insertUser(
  db: Tx,
  user: { id: string; email: string; passwordHash: string; at: string },
) {
  await db
    .insertInto("users")
    .values({ id: user.id, email: user.email, password_hash: user.passwordHash, created_at: user.at })
    .execute();
}

export async function insertSession(
  db: Tx,
  session: { id: string; userId: string; tokenHash: string; at: string; expiresAt: string },
) {
  await db
    .insertInto("sessions")
    .values({
      id: session.id,
      user_id: session.userId,
      token_hash: session.tokenHash,
      created_at: session.at,
      expires_at: session.expiresAt,
    })
    .execute();
}

/** Every authenticated request asks: built and compiled once (store/prepared.ts). */
const sessionQuery = prepared((db: Tx, [tokenHash]: [string]) =>
  db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select([
      "sessions.id",
      "sessions.token_hash",
      "sessions.expires_at",
      "users.id as user_id",
      "users.email",
    ])
    .where("sessions.token_hash", "=", tokenHash),
);

export async function sessionByHash(
  db: Tx,
  tokenHash: string,
): Promise<{ id: string; tokenHash: string; expiresAt: string; userId: string; email: string } | undefined> {
  const [row] = await sessionQuery.execute(db, [tokenHash]);
  return (
    row && {
      id: row.id,
      tokenHash: row.token_hash,
      expiresAt: row.expires_at,
      userId: row.user_id,
      email: row.email,
    }
  );
}

export async function deleteSessionByHash(db: Tx, tokenHash: string): Promise<boolean> {
  const result = await db.deleteFrom("sessions").where("token_hash", "=", tokenHash).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteExpiredSessions(db: Tx, nowIso: string, userId?: string): Promise<void> {
  let query = db.deleteFrom("sessions").where("expires_at", "<=", nowIso);
  if (userId !== undefined) query = query.where("user_id", "=", userId);
  await query.execute();
}

export async function orgBySlug(db: Tx, slug: string): Promise<OrgRecord | undefined> {
  const row = await db.selectFrom("orgs").selectAll().where("slug", "=", slug).executeTakeFirst();
  return row ? toOrgRecord(row) : undefined;
}

export async function orgById(db: Tx, id: string): Promise<OrgRecord | undefined> {
  const row = await db.selectFrom("orgs").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toOrgRecord(row) : undefined;
}

/**
 * Serializes membership changes of one organization (last-owner checks) on PostgreSQL. SQLite's write
 * transactions are exclusive already.
 */
export async function lockOrg(db: Tx, dialect: Dialect, orgId: string): Promise<void> {
  if (dialect !== "postgres") return;
  await db.selectFrom("orgs").select("id").where("id", "=", orgId).forUpdate().execute();
}

export async function insertOrg(db: Tx, org: OrgRecord): Promise<void> {
  await db
    .insertInto("orgs")
    .values({
      id: org.id,
      slug: org.slug,
      name: org.name,
      naming_policy: org.namingPolicy,
      editors_manage_secrets: org.editorsManageSecrets ? 1 : 0,
      editors_compute_with_restricted: org.editorsComputeWithRestricted ? 1 : 0,
      versions_kept: org.versionsKept,
      created_at: org.createdAt,
    })
    .execute();
}

export async function updateOrgSettings(
  db: Tx,
  orgId: string,
  patch: {
    namingPolicy?: OrgRecord["namingPolicy"];
    editorsManageSecrets?: boolean;
    editorsComputeWithRestricted?: boolean;
    versionsKept?: number;
  },
): Promise<void> {
  const set: Updateable<OrgsTable> = {};
  if (patch.namingPolicy !== undefined) set.naming_policy = patch.namingPolicy;
  if (patch.editorsManageSecrets !== undefined)
    set.editors_manage_secrets = patch.editorsManageSecrets ? 1 : 0;
  if (patch.editorsComputeWithRestricted !== undefined)
    set.editors_compute_with_restricted = patch.editorsComputeWithRestricted ? 1 : 0;
  if (patch.versionsKept !== undefined) set.versions_kept = patch.versionsKept;
  if (Object.keys(set).length === 0) return;
  await db.updateTable("orgs").set(set).where("id", "=", orgId).execute();
}

export async function membershipsOf(db: Tx, userId: string): Promise<{ org: OrgRecord; role: Role }[]> {
  const rows = await db
    .selectFrom("members")
    .innerJoin("orgs", "orgs.id", "members.org_id")
    .selectAll("orgs")
    .select("members.role")
    .where("members.user_id", "=", userId)
    .orderBy("orgs.slug")
    .execute();
  return rows.map((row) => ({ org: toOrgRecord(row), role: row.role }));
}

const roleQuery = prepared((db: Tx, [orgId, userId]: [string, string]) =>
  db.selectFrom("members").select("role").where("org_id", "=", orgId).where("user_id", "=", userId),
);

/** A signed-in caller's role in the organization: asked on every request, so prepared. */
export async function roleOf(db: Tx, orgId: string, userId: string): Promise<Role | undefined> {
  const [row] = await roleQuery.execute(db, [orgId, userId]);
  return row?.role;
}

export async function insertMember(
  db: Tx,
  member: { orgId: string; userId: string; role: Role; at: string },
) {
  await db
    .insertInto("members")
    .values({ org_id: member.orgId, user_id: member.userId, role: member.role, created_at: member.at })
    .execute();
}

export interface MemberRecord {
  userId: string;
  email: string;
  role: Role;
  createdAt: string;
}

const memberColumns = ["members.user_id", "users.email", "members.role", "members.created_at"] as const;
const toMemberRecord = (row: { user_id: string; email: string; role: Role; created_at: string }) => ({
  userId: row.user_id,
  email: row.email,
  role: row.role,
  createdAt: row.created_at,
});

/** An organization's members with their emails, as MemberRecord's columns. */
const membersOf = (db: Tx, orgId: string) =>
  db
    .selectFrom("members")
    .innerJoin("users", "users.id", "members.user_id")
    .select(memberColumns)
    .where("members.org_id", "=", orgId);

export async function listMembers(db: Tx, orgId: string): Promise<MemberRecord[]> {
  return (await membersOf(db, orgId).orderBy("users.email").execute()).map(toMemberRecord);
}

export async function memberOf(db: Tx, orgId: string, userId: string): Promise<MemberRecord | undefined> {
  const row = await membersOf(db, orgId).where("members.user_id", "=", userId).executeTakeFirst();
  return row && toMemberRecord(row);
}

export async function countOwners(db: Tx, orgId: string): Promise<number> {
  const row = await db
    .selectFrom("members")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("org_id", "=", orgId)
    .where("role", "=", "owner")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function setMemberRole(db: Tx, orgId: string, userId: string, role: Role): Promise<void> {
  await db
    .updateTable("members")
    .set({ role })
    .where("org_id", "=", orgId)
    .where("user_id", "=", userId)
    .execute();
}

export async function deleteMember(db: Tx, orgId: string, userId: string): Promise<void> {
  await db.deleteFrom("members").where("org_id", "=", orgId).where("user_id", "=", userId).execute();
}

export async function insertProject(db: Tx, project: ProjectRecord): Promise<void> {
  await db
    .insertInto("projects")
    .values({
      id: project.id,
      org_id: project.orgId,
      slug: project.slug,
      name: project.name,
      created_at: project.createdAt,
    })
    .execute();
}

const projectsOf = (db: Tx, orgId: string) =>
  db.selectFrom("projects").selectAll().where("org_id", "=", orgId);

export async function listProjects(db: Tx, orgId: string): Promise<ProjectRecord[]> {
  return (await projectsOf(db, orgId).orderBy("slug").execute()).map(toProjectRecord);
}

export async function projectBySlug(db: Tx, orgId: string, slug: string): Promise<ProjectRecord | undefined> {
  const row = await projectsOf(db, orgId).where("slug", "=", slug).executeTakeFirst();
  return row ? toProjectRecord(row) : undefined;
}

/** Marks first-run setup done; the primary key makes a second, concurrent setup fail (unique violation). */
export async function claimSetup(db: Tx, at: string): Promise<void> {
  await db.insertInto("meta").values({ key: "setup_completed_at", value: at }).execute();
}

export const memberByEmail = (db: Tx, orgId: string, email: string) =>
  db
    .selectFrom("members")
    .innerJoin("users", "users.id", "members.user_id")
    .select(memberColumns)
    .where("members.org_id", "=", orgId)
    .where("users.email", "=", email)
    .executeTakeFirst();

// Invitations' and API tokens' queries live beside these, re-exported so the domain keeps one `store` namespace.
export * from "./invitation-store.js";
export * from "./token-store.js";

/** Queries over invitations (decision 0120), answered by the auth domain's store.ts too. */
import type { Tx } from "../store/db.js";
import type { InvitationsTable } from "../store/schema.js";

export async function insertInvitation(db: Tx, row: InvitationsTable): Promise<void> {
  await db.insertInto("invitations").values(row).execute();
}

const invitationColumns = ["id", "email", "role", "created_at", "created_by", "expires_at"] as const;

export const listInvitations = (db: Tx, orgId: string, nowIso: string) =>
  db
    .selectFrom("invitations")
    .select(invitationColumns)
    .where("org_id", "=", orgId)
    .where("expires_at", ">", nowIso)
    .orderBy("created_at")
    .orderBy("id")
    .execute();

export const invitationInOrg = (db: Tx, orgId: string, id: string) =>
  db
    .selectFrom("invitations")
    .select(invitationColumns)
    .where("org_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();

export const invitationByHash = (db: Tx, tokenHash: string) =>
  db.selectFrom("invitations").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();

/** True when this call removed the row: of two concurrent claims of one invitation, exactly one gets true. */
export async function deleteInvitation(db: Tx, orgId: string, id: string): Promise<boolean> {
  return (await deleteWhere(db, orgId, "id", id)) > 0;
}

/** Deletes an organization's invitations whose `column` is `value`; answers how many went. */
async function deleteWhere(db: Tx, orgId: string, column: "id" | "created_by_user_id", value: string) {
  const result = await db
    .deleteFrom("invitations")
    .where("org_id", "=", orgId)
    .where(column, "=", value)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Clears the way for a new invitation of `email`: its earlier one (pending or expired) and expired others. */
export async function deleteStaleInvitations(
  db: Tx,
  orgId: string,
  email: string,
  nowIso: string,
): Promise<string[]> {
  const replaced = await db
    .selectFrom("invitations")
    .select("id")
    .where("org_id", "=", orgId)
    .where("email", "=", email)
    .where("expires_at", ">", nowIso)
    .execute();
  await db
    .deleteFrom("invitations")
    .where("org_id", "=", orgId)
    .where((eb) => eb.or([eb("email", "=", email), eb("expires_at", "<=", nowIso)]))
    .execute();
  return replaced.map((r) => r.id);
}

export const deleteInvitationsCreatedBy = (db: Tx, orgId: string, userId: string): Promise<number> =>
  deleteWhere(db, orgId, "created_by_user_id", userId);

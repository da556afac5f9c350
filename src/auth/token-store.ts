/** Queries over API tokens, answered by the auth domain's store.ts too: records, never a token's hash alone. */
import type { Tx } from "../store/db.js";
import type { ApiTokensTable } from "../store/schema.js";
import type { Role } from "./types.js";

/** An API token as the console lists it: never its hash. */
export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
}

const toTokenRecord = (row: Pick<ApiTokensTable, keyof ApiTokensTable & string>): TokenRecord => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  createdBy: row.created_by,
  lastUsedAt: row.last_used_at,
});

export async function apiTokenByHash(
  db: Tx,
  tokenHash: string,
): Promise<(TokenRecord & { orgId: string; tokenHash: string }) | undefined> {
  const row = await db
    .selectFrom("api_tokens")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .executeTakeFirst();
  return row && { ...toTokenRecord(row), orgId: row.org_id, tokenHash: row.token_hash };
}

export async function touchApiToken(db: Tx, id: string, at: string): Promise<void> {
  await db.updateTable("api_tokens").set({ last_used_at: at }).where("id", "=", id).execute();
}

export async function insertApiToken(db: Tx, token: ApiTokensTable): Promise<void> {
  await db.insertInto("api_tokens").values(token).execute();
}

export async function listApiTokens(db: Tx, orgId: string): Promise<TokenRecord[]> {
  const rows = await db
    .selectFrom("api_tokens")
    .selectAll()
    .where("org_id", "=", orgId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toTokenRecord);
}

export const apiTokenInOrg = (db: Tx, orgId: string, id: string) =>
  db
    .selectFrom("api_tokens")
    .select(["id", "name", "role"])
    .where("org_id", "=", orgId)
    .where("id", "=", id)
    .executeTakeFirst();

export async function deleteApiToken(db: Tx, orgId: string, id: string): Promise<void> {
  await db.deleteFrom("api_tokens").where("org_id", "=", orgId).where("id", "=", id).execute();
}

/** The person behind an API token, for tokens and invitations that token creates. */
export async function apiTokenCreator(db: Tx, id: string): Promise<string | null> {
  const row = await db
    .selectFrom("api_tokens")
    .select("created_by_user_id")
    .where("id", "=", id)
    .executeTakeFirst();
  return row?.created_by_user_id ?? null;
}

/** Deletes the organization's API tokens made by `userId` (directly or through their tokens). */
export async function deleteApiTokensCreatedBy(
  db: Tx,
  orgId: string,
  userId: string,
): Promise<{ id: string; name: string }[]> {
  const rows = await db
    .selectFrom("api_tokens")
    .select(["id", "name"])
    .where("org_id", "=", orgId)
    .where("created_by_user_id", "=", userId)
    .orderBy("id")
    .execute();
  if (rows.length === 0) return rows;
  await db
    .deleteFrom("api_tokens")
    .where("org_id", "=", orgId)
    .where(
      "id",
      "in",
      rows.map((r) => r.id),
    )
    .execute();
  return rows;
}

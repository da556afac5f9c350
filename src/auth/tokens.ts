/** API tokens of an organization: listed by metadata only, created with their value shown once, deleted. */
import { generateToken, hashToken } from "../crypto/index.js";
import { AppError } from "../errors.js";
import { newId } from "../store/ids.js";
import { requireOwnerFor } from "./members.js";
import { type AuthParts, OWNER_RULE, orgChange, orgList, tokenView } from "./parts.js";
import { type CreatedTokenView, createTokenBody } from "./schema.js";
import * as q from "./store.js";
import { actorLabel, type OrgAccess } from "./types.js";

export const listTokens = orgList("token.read", q.listApiTokens, tokenView);

export const createToken = orgChange(
  "token.create",
  createTokenBody,
  async (p, access, input): Promise<CreatedTokenView> => {
    const id = newId();
    const change = { action: "token.create", target: { type: "token", id, name: input.name } } as const;
    if (input.role === "owner" && access.role !== "owner") {
      return p.audited.refuse(access, change, { reason: "owner_rule", message: OWNER_RULE });
    }
    const token = generateToken("crk_t");
    const at = p.iso();
    await p.audited(access, change, async (tx, entry) => {
      const actor = access.actor;
      await q.insertApiToken(tx, {
        created_by_user_id: actor.type === "user" ? actor.userId : await q.apiTokenCreator(tx, actor.tokenId),
        id,
        org_id: access.org.id,
        name: input.name,
        role: input.role,
        token_hash: hashToken(token),
        created_at: at,
        created_by: actorLabel(access.actor),
        last_used_at: null,
      });
      entry.details = { role: input.role };
    });
    return { id, token, name: input.name, role: input.role, createdAt: at };
  },
);

export async function deleteToken(p: AuthParts, access: OrgAccess, tokenId: string): Promise<void> {
  await p.audited(access, { action: "token.delete" }, async (tx, entry) => {
    const row = await q.apiTokenInOrg(tx, access.org.id, tokenId);
    if (!row) throw new AppError("not_found", `token ${tokenId.slice(0, 64)} not found`);
    entry.target = { type: "token", id: row.id, name: row.name };
    requireOwnerFor(access, [row.role], entry.target);
    await q.deleteApiToken(tx, access.org.id, row.id);
    await p.lookups.changed(tx);
    entry.details = { role: row.role };
  });
  p.lookups.drop(); // again after commit: a lookup in between could have read the revoked row
}

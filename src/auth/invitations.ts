/**
 * Invitations (decision 0120): the only way into an organization. An admin names an email and a role; the
 * answer carries a one-time token (256 random bits, stored as its SHA-256 only) that expires. Whoever holds
 * the token and owns the address accepts it: a new account sets its own password there, an existing
 * account accepts with its own session. Nobody ever sets another person's password.
 */
import type { Logger } from "pino";
import type { z } from "zod";
import { type AuditCaller, type Audited, refuse } from "../audit/audited.js";
import type { AuditLog } from "../audit/types.js";
import { constantTimeEqual, generateToken, hashToken } from "../crypto/index.js";
import { AppError } from "../errors.js";
import { invalidRequest } from "../http/errors.js";
import type { Mailer } from "../mail/smtp.js";
import { isUniqueViolation, type Store, type Tx } from "../store/db.js";
import { newId } from "../store/ids.js";
import { callerAudited, orgAudited } from "./audited.js";
import {
  type AcceptAnswer,
  acceptInvitationBody,
  type CreatedInvitationView,
  type InvitationView,
  inviteMemberBody,
} from "./schema.js";
import type { SessionIssuer } from "./sessions.js";
import * as q from "./store.js";
import { type Actor, actorLabel, type OrgAccess, type RequestContext } from "./types.js";

export const DEFAULT_INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const INVITE_TOKEN = /^crk_i_[A-Za-z0-9_-]{43}$/;
const GONE = "this invitation does not exist, was used or revoked, or has expired: ask for a new one";
const OWNER_RULE = "only an owner may grant, change or remove the owner role";
function gone(): never {
  refuse({ reason: "unknown_or_expired", code: "not_found", message: GONE });
}

export interface InvitationService {
  create(access: OrgAccess, input: unknown): Promise<CreatedInvitationView>;
  list(access: OrgAccess): Promise<InvitationView[]>;
  revoke(access: OrgAccess, id: string): Promise<void>;
  /** Anonymous with a password (a new account), or with the invitee's own session and no password. */
  accept(ctx: RequestContext, input: unknown): Promise<AcceptAnswer>;
}

export interface InvitationServiceDeps {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
  issueSession: SessionIssuer;
  hashPassword(password: string): Promise<string>;
  ttlMs?: number;
  /** CLOAKROOM_PUBLIC_URL: the link in answers and mails is `${publicUrl}/invite#token=...`. */
  publicUrl?: string | undefined;
  /** Set when SMTP is configured: the link is also mailed to the invitee. */
  mailer?: Mailer | undefined;
  logger?: Pick<Logger, "warn"> | undefined;
  now?: () => number;
}

export function createInvitationService(deps: InvitationServiceDeps): InvitationService {
  const { store, audit } = deps;
  const audited = orgAudited({ store, audit });
  const anonymous = callerAudited({ store, audit });
  const ttl = deps.ttlMs ?? DEFAULT_INVITATION_TTL_MS;
  const now = deps.now ?? Date.now;
  const iso = (ms = now()) => new Date(ms).toISOString();

  // The token travels in the fragment: browsers do not send it to the server, to proxies or in Referer.
  const linkFor = (token: string) => (deps.publicUrl ? `${deps.publicUrl}/invite#token=${token}` : null);

  async function mail(to: string, orgName: string, role: string, link: string, expiresAt: string) {
    if (!deps.mailer) return false;
    try {
      await deps.mailer.send({
        to,
        subject: `You are invited to ${orgName} on Cloakroom`,
        text: [
          `You are invited to join ${orgName} on Cloakroom as ${role}.`,
          "",
          `Accept the invitation here (the link works once, until ${expiresAt}):`,
          link,
          "",
          "If you did not expect this, ignore this mail; nothing happens unless the link is opened.",
        ].join("\n"),
      });
      return true;
    } catch (error) {
      // The mail server's answer may quote the message, which holds the token: log the code only.
      deps.logger?.warn({ code: (error as { code?: string }).code }, "invitation mail not sent");
      return false;
    }
  }

  return {
    async create(access, rawInput) {
      await audited.authorize(access, { action: "invitation.create" });
      const input = parse(inviteMemberBody, rawInput);
      const id = newId();
      const change = {
        action: "invitation.create",
        target: { type: "invitation", id, name: input.email },
      } as const;
      // Owner rules (decision 0108): only an owner brings in another owner.
      if (input.role === "owner" && access.role !== "owner") {
        await audited.refuse(access, change, { reason: "owner_rule", message: OWNER_RULE });
      }
      const token = generateToken("crk_i");
      const at = now();
      const expiresAt = iso(at + ttl);
      const actor = access.actor;
      const row = await audited(access, change, async (tx, entry) => {
        if (await q.memberByEmail(tx, access.org.id, input.email)) {
          throw new AppError("name_taken", `${input.email} is already a member of ${access.org.slug}`);
        }
        // Inviting an address again replaces its pending invitation (the old link stops working).
        const replaced = await q.deleteStaleInvitations(tx, access.org.id, input.email, iso(at));
        const invitation = {
          id,
          org_id: access.org.id,
          email: input.email,
          role: input.role,
          token_hash: hashToken(token),
          created_at: iso(at),
          created_by: actorLabel(actor),
          created_by_user_id:
            actor.type === "user" ? actor.userId : await q.apiTokenCreator(tx, actor.tokenId),
          expires_at: expiresAt,
        };
        try {
          await q.insertInvitation(tx, invitation);
        } catch (error) {
          if (isUniqueViolation(error))
            throw new AppError("name_taken", `${input.email} was invited a moment ago: list the invitations`);
          throw error;
        }
        entry.details = { role: input.role, expiresAt, ...(replaced.length > 0 ? { replaced } : {}) };
        return invitation;
      });
      const inviteUrl = linkFor(token);
      const mailed = inviteUrl
        ? await mail(row.email, access.org.name, row.role, inviteUrl, expiresAt)
        : false;
      return { invitation: view(row), inviteToken: token, inviteUrl, mailed };
    },

    async list(access) {
      await audited.authorize(access, { action: "member.read" });
      return (await q.listInvitations(store.db, access.org.id, iso())).map(view);
    },

    async revoke(access, id) {
      await audited(access, { action: "invitation.revoke" }, async (tx, entry) => {
        const row = await q.invitationInOrg(tx, access.org.id, id);
        if (!row) throw new AppError("not_found", `invitation ${id.slice(0, 64)} not found`);
        entry.target = { type: "invitation", id: row.id, name: row.email };
        if (row.role === "owner" && access.role !== "owner") {
          refuse({ reason: "owner_rule", message: OWNER_RULE, target: entry.target });
        }
        await q.deleteInvitation(tx, access.org.id, row.id);
        entry.details = { role: row.role };
      });
    },

    accept: (ctx, rawInput) => accept(deps, anonymous, ctx, rawInput),
  };
}

/** Anonymous with a password (a new account), or with the invitee's own session and no password. */
async function accept(
  deps: InvitationServiceDeps,
  anonymous: Audited<AuditCaller>,
  ctx: RequestContext,
  rawInput: unknown,
): Promise<AcceptAnswer> {
  const now = deps.now ?? Date.now;
  const iso = (ms = now()) => new Date(ms).toISOString();
  const input = parse(acceptInvitationBody, rawInput);
  const actor = ctx.actor;
  if (actor?.type === "token") {
    throw new AppError("forbidden", "an API token cannot accept an invitation: accept as the person invited");
  }
  if (actor && input.password !== undefined) {
    throw new AppError("invalid_request", "you are signed in: accept without a password", {
      fields: [{ field: "body.password", message: "leave it out when you accept with your session" }],
    });
  }
  const tokenHash = INVITE_TOKEN.test(input.token) ? hashToken(input.token) : undefined;
  // Hashing costs what a sign-in does, and happens before the transaction so it holds no lock meanwhile.
  const passwordHash =
    !actor && input.password !== undefined ? await deps.hashPassword(input.password) : undefined;
  const caller = { orgId: null, actor, sourceIp: ctx.sourceIp };
  return anonymous(caller, { action: "invitation.accept" }, async (tx, entry) => {
    const row = tokenHash ? await q.invitationByHash(tx, tokenHash) : undefined;
    if (!row || !tokenHash || !constantTimeEqual(row.token_hash, tokenHash) || row.expires_at <= iso()) {
      gone();
    }
    const { userId, email, created } = await invitee(tx, row.email, actor, passwordHash, iso());
    // The claim: of two accepts of one invitation, one deletes the row and the other finds none.
    if (!(await q.deleteInvitation(tx, row.org_id, row.id))) gone();
    const at = iso();
    try {
      await q.insertMember(tx, { orgId: row.org_id, userId, role: row.role, at });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError("name_taken", "you are already a member of this organization");
      throw error;
    }
    const org = await q.orgById(tx, row.org_id);
    if (!org) gone();
    const session = await deps.issueSession(tx, userId);
    entry.orgId = row.org_id;
    entry.actor = { type: "user", userId, email };
    entry.target = { type: "invitation", id: row.id, name: email };
    entry.details = { role: row.role, userId, accountCreated: created, invitedBy: row.created_by };
    return {
      ...session,
      org: { id: org.id, slug: org.slug, name: org.name, role: row.role, createdAt: org.createdAt },
    };
  });
}

/** Who accepts: the signed-in person, who must own the invited address, or a new account for it. */
async function invitee(
  tx: Tx,
  email: string,
  actor: Actor | null,
  passwordHash: string | undefined,
  at: string,
): Promise<{ userId: string; email: string; created: boolean }> {
  if (actor?.type === "user") {
    if (actor.email !== email) {
      refuse({
        reason: "wrong_account",
        message: "this invitation is for another email address: sign in as that address to accept it",
      });
    }
    return { userId: actor.userId, email, created: false };
  }
  if (await q.userByEmail(tx, email)) {
    refuse({
      reason: "account_exists",
      code: "unauthenticated",
      message: "an account with this email exists: sign in and accept with your session, without a password",
    });
  }
  if (passwordHash === undefined) {
    throw new AppError("invalid_request", "choose a password for your new account", {
      fields: [{ field: "body.password", message: "required for a new account" }],
    });
  }
  const userId = newId();
  try {
    await q.insertUser(tx, { id: userId, email, passwordHash, at });
  } catch (error) {
    if (isUniqueViolation(error)) {
      refuse({
        reason: "account_exists",
        code: "unauthenticated",
        message: "an account with this email was just created: sign in and accept with your session",
      });
    }
    throw error;
  }
  return { userId, email, created: true };
}

const view = (row: {
  id: string;
  email: string;
  role: InvitationView["role"];
  created_at: string;
  created_by: string;
  expires_at: string;
}): InvitationView => ({
  id: row.id,
  email: row.email,
  role: row.role,
  expiresAt: row.expires_at,
  createdAt: row.created_at,
  createdBy: row.created_by,
});

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw invalidRequest("body", result.error);
  return result.data;
}

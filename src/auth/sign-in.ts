/**
 * Who is calling, and how they come and go: bearer tokens and the session cookie, first-run setup,
 * sign-in and sign-out, and what the caller may see of themselves (`me`).
 */
import { refuse } from "../audit/audited.js";
import { constantTimeEqual, hashToken, verifyPassword } from "../crypto/index.js";
import { AppError } from "../errors.js";
import { SESSION_COOKIE } from "../http/csrf.js";
import { isUniqueViolation } from "../store/db.js";
import { newId } from "../store/ids.js";
import { sessionKey } from "./lookup-cache.js";
import { type AuthParts, callerOf, newOrg, orgView, parseInput, requireActor } from "./parts.js";
import {
  type LoginInput,
  loginBody,
  type MeAnswer,
  type OrgView,
  type SetupInput,
  setupBody,
  type UserView,
} from "./schema.js";
import type { SessionAnswer } from "./sessions.js";
import * as q from "./store.js";
import type { Actor, RequestContext } from "./types.js";

export { SESSION_COOKIE };

/** last_used_at is a hint for the console; writing it once a minute per token is enough. */
const TOKEN_TOUCH_INTERVAL_MS = 60 * 1000;
const TOKEN_FORMAT = /^crk_([st])_[A-Za-z0-9_-]{43}$/;
const ALREADY_SET_UP = "Cloakroom is already set up";

export interface AuthHeaders {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

/** The token a request carries: the Authorization header wins; the cookie only ever carries a session. */
export function extractToken(headers: AuthHeaders): string | null {
  if (headers.authorization !== undefined && headers.authorization !== "") {
    const match = /^Bearer +([^\s]+) *$/i.exec(headers.authorization);
    return match?.[1] ?? null;
  }
  if (!headers.cookie) return null;
  for (const part of headers.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith("crk_s_") ? value : null;
  }
  return null;
}

/** Bearer token (session or API token) or the session cookie; unknown, malformed or expired: null. */
export async function authenticate(p: AuthParts, headers: AuthHeaders): Promise<Actor | null> {
  const { store } = p;
  const token = extractToken(headers);
  if (token === null) return null;
  const format = TOKEN_FORMAT.exec(token);
  if (!format) return null;
  const tokenHash = hashToken(token);
  if (format[1] === "s") {
    // Cached per node (lookup-cache.ts); a sign-out drops it on every node when it commits, and expiry is
    // checked on every use.
    const key = sessionKey(tokenHash);
    const session = await p.lookups.get(key, () => q.sessionByHash(store.db, tokenHash));
    if (!session || !constantTimeEqual(session.tokenHash, tokenHash)) return null;
    if (session.expiresAt <= p.iso()) {
      p.lookups.drop(key); // the next request finds no row rather than deleting it again
      await q.deleteSessionByHash(store.db, tokenHash).catch(() => {});
      return null;
    }
    return { type: "user", userId: session.userId, email: session.email };
  }
  const row = await p.lookups.get(`t:${tokenHash}`, () => q.apiTokenByHash(store.db, tokenHash));
  if (!row || !constantTimeEqual(row.tokenHash, tokenHash)) return null;
  const at = p.now();
  if (row.lastUsedAt === null || Date.parse(row.lastUsedAt) + TOKEN_TOUCH_INTERVAL_MS < at) {
    // A hint only: a busy database must not fail the request.
    await q.touchApiToken(store.db, row.id, p.iso(at)).catch(() => {});
    row.lastUsedAt = p.iso(at);
  }
  return { type: "token", tokenId: row.id, orgId: row.orgId, role: row.role, name: row.name };
}

export async function setup(
  p: AuthParts,
  ctx: RequestContext,
  rawInput: SetupInput,
): Promise<SessionAnswer & { org: OrgView; user: UserView }> {
  const input = parseInput(setupBody, rawInput);
  const passwordHash = await p.hashPassword(input.password);
  const setUp = () => refuse({ reason: "already_set_up", code: "already_set_up", message: ALREADY_SET_UP });
  return p.anonymous(callerOf(ctx), { action: "setup" }, async (tx, entry) => {
    const at = p.iso();
    // The meta row is the lock: a concurrent setup fails on its primary key (or, on SQLite, waits and
    // then fails on it), so exactly one wins. The user count covers databases filled another way.
    await q
      .claimSetup(tx, at)
      .catch((error: unknown) => (isUniqueViolation(error) ? setUp() : Promise.reject(error)));
    if ((await q.countUsers(tx)) > 0) setUp();
    const user = { id: newId(), email: input.email, passwordHash, at };
    await q.insertUser(tx, user);
    const org = newOrg(input.org, input.org, at);
    await q.insertOrg(tx, org);
    await q.insertMember(tx, { orgId: org.id, userId: user.id, role: "owner", at });
    const session = await p.newSession(tx, user.id);
    entry.orgId = org.id;
    entry.actor = { type: "user", userId: user.id, email: user.email };
    entry.target = { type: "org", id: org.id, name: org.slug };
    return {
      ...session,
      org: orgView(org, "owner"),
      user: { id: user.id, email: user.email, createdAt: at },
    };
  });
}

export async function login(p: AuthParts, ctx: RequestContext, rawInput: LoginInput): Promise<SessionAnswer> {
  const input = parseInput(loginBody, rawInput);
  const user = await q.userByEmail(p.store.db, input.email);
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await p.dummyHash()));
  const signIn = { ...callerOf(ctx), actor: null };
  if (!user || !valid) {
    return p.anonymous.refuse(
      signIn,
      { action: "auth.login", target: { type: "user", name: input.email } },
      {
        reason: "bad_credentials",
        outcome: "failure",
        code: "unauthenticated",
        message: "wrong email or password",
      },
    );
  }
  const target = { type: "user", id: user.id, name: user.email };
  return p.anonymous(signIn, { action: "auth.login", target }, async (tx, entry) => {
    entry.actor = { type: "user", userId: user.id, email: user.email };
    return p.newSession(tx, user.id);
  });
}

/** Ends the session the headers carry; an API token is left alone (delete it instead). */
export async function logout(p: AuthParts, ctx: RequestContext, headers: AuthHeaders): Promise<void> {
  const token = extractToken(headers);
  if (token === null || !token.startsWith("crk_s_") || ctx.actor?.type !== "user") return;
  const target = { type: "user", id: ctx.actor.userId, name: ctx.actor.email };
  const tokenHash = hashToken(token);
  await p.anonymous(callerOf(ctx), { action: "auth.logout", target }, async (tx, entry) => {
    entry.record = await q.deleteSessionByHash(tx, tokenHash);
    await p.lookups.changed(tx, sessionKey(tokenHash));
  });
  p.lookups.drop(sessionKey(tokenHash)); // again after commit: a lookup in between could have read it
}

export async function me(p: AuthParts, ctx: RequestContext): Promise<MeAnswer> {
  const actor = requireActor(ctx);
  if (actor.type === "token") {
    const org = await q.orgById(p.store.db, actor.orgId);
    return {
      user: null,
      token: { id: actor.tokenId, name: actor.name, role: actor.role, orgId: actor.orgId },
      orgs: org ? [orgView(org, actor.role)] : [],
    };
  }
  const user = await q.userById(p.store.db, actor.userId);
  if (!user) throw new AppError("unauthenticated", "sign in again");
  const orgs = await q.membershipsOf(p.store.db, actor.userId);
  return { user, orgs: orgs.map((m) => orgView(m.org, m.role)) };
}

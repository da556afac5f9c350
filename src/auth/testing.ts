/**
 * Test support for the auth and audit domains: a real store (SQLite or PostgreSQL), the real audit log and
 * auth service with cheap password hashing and a movable clock, and shortcuts to make users and orgs.
 */
import { createAuditLog } from "../audit/service.js";
import { TEST_AUDIT_KEY } from "../audit/testing.js";
import type { AuditLog } from "../audit/types.js";
import { hashPassword, type ScryptParams } from "../crypto/index.js";
import type { Mailer } from "../mail/smtp.js";
import type { TestDatabase, TestStore } from "../store/testing.js";
import { createInvitationService, type InvitationService } from "./invitations.js";
import { type AuthService, createAuthService, DEFAULT_SESSION_TTL_MS } from "./service.js";
import { sessionIssuer } from "./sessions.js";
import type { Actor, OrgAccess, RequestContext, Role } from "./types.js";

/** Far below production cost: tests make many users. Timing tests pass their own. */
export const CHEAP_SCRYPT: ScryptParams = { N: 1024, r: 1, p: 1 };

export interface AuthFixture {
  store: TestStore;
  audit: AuditLog;
  auth: AuthService;
  invitations: InvitationService;
  clock: { ms: number };
  ctx(actor: Actor | null, sourceIp?: string): RequestContext;
  /** First-run setup; returns the owner's actor and session token. */
  setupOwner(org?: string, email?: string): Promise<{ actor: Actor; token: string; orgSlug: string }>;
  /**
   * A user with `role` in `by`'s organization: invited by `by`, and accepted with `password` (a new
   * account) or, when the account exists, with a session of its own.
   */
  addUser(
    by: OrgAccess,
    email: string,
    role: Role,
    password?: string,
  ): Promise<{ actor: Actor; token: string }>;
  access(actor: Actor, orgSlug: string): Promise<OrgAccess>;
  close(): Promise<void>;
}

export const PASSWORD = "correct horse battery staple";

export async function openAuthFixture(
  database: TestDatabase,
  options: {
    sessionTtlMs?: number;
    passwordParams?: ScryptParams;
    invitationTtlMs?: number;
    mailer?: Mailer;
    publicUrl?: string;
  } = {},
): Promise<AuthFixture> {
  const store = await database.open();
  const clock = { ms: Date.now() };
  const audit = createAuditLog({ store, key: TEST_AUDIT_KEY });
  const auth = createAuthService({
    store,
    audit,
    passwordParams: options.passwordParams ?? CHEAP_SCRYPT,
    now: () => clock.ms,
    ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
  });
  const params = options.passwordParams ?? CHEAP_SCRYPT;
  const invitations = createInvitationService({
    store,
    audit,
    issueSession: sessionIssuer(options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS, () => clock.ms),
    hashPassword: (password) => hashPassword(password, params),
    now: () => clock.ms,
    ...(options.invitationTtlMs === undefined ? {} : { ttlMs: options.invitationTtlMs }),
    ...(options.mailer ? { mailer: options.mailer } : {}),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  });
  const ctx = (actor: Actor | null, sourceIp = "127.0.0.1"): RequestContext => ({
    actor,
    sourceIp,
    requestId: "test",
  });
  const actorOf = async (token: string): Promise<Actor> => {
    const actor = await auth.authenticate({ authorization: `Bearer ${token}` });
    if (!actor) throw new Error("fresh session did not authenticate");
    return actor;
  };
  return {
    store,
    audit,
    auth,
    invitations,
    clock,
    ctx,
    async setupOwner(org = "acme", email = "owner@example.com") {
      const answer = await auth.setup(ctx(null), { org, email, password: PASSWORD });
      return { actor: await actorOf(answer.token), token: answer.token, orgSlug: org };
    },
    async addUser(by, email, role, password = PASSWORD) {
      const { inviteToken } = await invitations.create(by, { email, role });
      const existing = await store.db
        .selectFrom("users")
        .select("id")
        .where("email", "=", email)
        .executeTakeFirst();
      if (existing) {
        const own = await auth.login(ctx(null), { email, password });
        await invitations.accept(ctx(await actorOf(own.token)), { token: inviteToken });
      } else {
        await invitations.accept(ctx(null), { token: inviteToken, password });
      }
      const session = await auth.login(ctx(null), { email, password });
      return { actor: await actorOf(session.token), token: session.token };
    },
    access: (actor, orgSlug) => auth.orgAccess(ctx(actor), orgSlug),
    close: () => store.dispose(),
  };
}

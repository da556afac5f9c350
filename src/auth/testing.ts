/**
 * Test support for the auth and audit domains: a real store (SQLite or PostgreSQL), the real audit log and
 * auth service with cheap password hashing and a movable clock, and shortcuts to make users and orgs.
 */
import { createAuditLog } from "../audit/service.js";
import { TEST_AUDIT_KEY } from "../audit/testing.js";
import type { AuditLog } from "../audit/types.js";
import type { ScryptParams } from "../crypto/index.js";
import { AppError } from "../errors.js";
import type { TestDatabase, TestStore } from "../store/testing.js";
import { type AuthService, createAuthService } from "./service.js";
import type { Actor, OrgAccess, RequestContext, Role } from "./types.js";

/** Far below production cost: tests make many users. Timing tests pass their own. */
export const CHEAP_SCRYPT: ScryptParams = { N: 1024, r: 1, p: 1 };

export interface AuthFixture {
  store: TestStore;
  audit: AuditLog;
  auth: AuthService;
  clock: { ms: number };
  ctx(actor: Actor | null, sourceIp?: string): RequestContext;
  /** First-run setup; returns the owner's actor and session token. */
  setupOwner(org?: string, email?: string): Promise<{ actor: Actor; token: string; orgSlug: string }>;
  /** A user with `role` in `orgSlug`, added by `by`. */
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
  options: { sessionTtlMs?: number; passwordParams?: ScryptParams } = {},
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
    clock,
    ctx,
    async setupOwner(org = "acme", email = "owner@example.com") {
      const answer = await auth.setup(ctx(null), { org, email, password: PASSWORD });
      return { actor: await actorOf(answer.token), token: answer.token, orgSlug: org };
    },
    async addUser(by, email, role, password = PASSWORD) {
      try {
        await auth.addMember(by, { email, password, role });
      } catch (error) {
        // The user exists already (a member elsewhere): add them by email only.
        if (!(error instanceof AppError && error.code === "name_taken")) throw error;
        await auth.addMember(by, { email, role });
      }
      const session = await auth.login(ctx(null), { email, password });
      return { actor: await actorOf(session.token), token: session.token };
    },
    access: (actor, orgSlug) => auth.orgAccess(ctx(actor), orgSlug),
    close: () => store.dispose(),
  };
}

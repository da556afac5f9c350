/**
 * Who is calling and what they may do: sign-in, sessions and API tokens, organizations and their members,
 * settings and projects. Every change is audited in its own transaction (A1, A2); every refusal is audited
 * as "denied". Roles are decided by policy.ts alone; the only rules here beyond it are the owner rules
 * (only owners grant, change or remove the owner role; the last owner stays).
 */
import type { z } from "zod";
import type { AuditEntryInput, AuditLog } from "../audit/types.js";
import {
  constantTimeEqual,
  generateToken,
  hashPassword,
  hashToken,
  type ScryptParams,
  verifyPassword,
} from "../crypto/index.js";
import { AppError, type ErrorCode } from "../errors.js";
import { SESSION_COOKIE } from "../http/csrf.js";
import { invalidRequest } from "../http/errors.js";
import { isUniqueViolation, type Store, type Tx } from "../store/db.js";
import { newId } from "../store/ids.js";
import type { Notifications } from "../store/notifications.js";
import { createAuthLookupCache } from "./lookup-cache.js";
import { type Action, can } from "./policy.js";
import {
  type CreatedTokenView,
  type CreateOrgInput,
  type CreateProjectInput,
  type CreateTokenInput,
  createOrgBody,
  createProjectBody,
  createTokenBody,
  isValidSlug,
  type LoginInput,
  loginBody,
  type MeAnswer,
  type MemberView,
  type OrgView,
  type ProjectView,
  roleSchema,
  type SettingsPatch,
  type SettingsView,
  type SetupInput,
  setupBody,
  type TokenView,
  type UserView,
  updateSettingsBody,
} from "./schema.js";
import { type SessionAnswer, sessionIssuer } from "./sessions.js";

export type { SessionAnswer } from "./sessions.js";

import * as q from "./store.js";
import {
  type Actor,
  actorLabel,
  type OrgAccess,
  type OrgRecord,
  type ProjectRecord,
  type RequestContext,
  type Role,
} from "./types.js";

export { SESSION_COOKIE };
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** last_used_at is a hint for the console; writing it once a minute per token is enough. */
const TOKEN_TOUCH_INTERVAL_MS = 60 * 1000;
const TOKEN_FORMAT = /^crk_([st])_[A-Za-z0-9_-]{43}$/;

export interface AuthHeaders {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

export interface AuthService {
  /** Bearer token (session or API token) or the session cookie; unknown, malformed or expired: null. */
  authenticate(headers: AuthHeaders): Promise<Actor | null>;
  /** 401 without an actor; 404 when the organization does not exist or the caller is not in it. */
  orgAccess(ctx: RequestContext, orgSlug: string): Promise<OrgAccess>;
  /** Refusals are audited ("denied") and thrown as 403 `forbidden`. */
  authorize(access: OrgAccess, action: Action, target?: AuditTarget): Promise<void>;
  /** The organization's project by slug; 404 when there is none. Authorize before calling. */
  project(access: OrgAccess, projectSlug: string): Promise<ProjectRecord>;

  setup(ctx: RequestContext, input: SetupInput): Promise<SessionAnswer & { org: OrgView; user: UserView }>;
  login(ctx: RequestContext, input: LoginInput): Promise<SessionAnswer>;
  /** Whether first-run setup has happened (any user exists): the console picks setup or sign-in. */
  isSetUp(): Promise<boolean>;
  /** Ends the session the headers carry; an API token is left alone (delete it instead). */
  logout(ctx: RequestContext, headers: AuthHeaders): Promise<void>;
  me(ctx: RequestContext): Promise<MeAnswer>;

  createOrg(ctx: RequestContext, input: CreateOrgInput): Promise<OrgView>;
  listOrgs(ctx: RequestContext): Promise<OrgView[]>;
  getSettings(access: OrgAccess): Promise<SettingsView>;
  updateSettings(access: OrgAccess, patch: SettingsPatch): Promise<SettingsView>;

  listMembers(access: OrgAccess): Promise<MemberView[]>;
  updateMember(access: OrgAccess, userId: string, role: Role): Promise<MemberView>;
  /** Also revokes the API tokens and invitations the member created in this organization (decision 0121). */
  removeMember(
    access: OrgAccess,
    userId: string,
  ): Promise<{ tokensRevoked: number; invitationsRevoked: number }>;

  listTokens(access: OrgAccess): Promise<TokenView[]>;
  createToken(access: OrgAccess, input: CreateTokenInput): Promise<CreatedTokenView>;
  deleteToken(access: OrgAccess, tokenId: string): Promise<void>;

  listProjects(access: OrgAccess): Promise<ProjectView[]>;
  createProject(access: OrgAccess, input: CreateProjectInput): Promise<ProjectView>;
}

export type AuditTarget = { type: string; name?: string | undefined; id?: string | undefined };

export interface AuthServiceDeps {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
  sessionTtlMs?: number;
  /** Test seam: cheaper scrypt parameters (the dummy hash for unknown emails uses the same ones). */
  passwordParams?: ScryptParams;
  /** Change notices: API-token, organization and project lookups are cached while this node hears them. */
  notifications?: Notifications | undefined;
  /** Backstop lifetime of those cached lookups (CLOAKROOM_CACHE_TTL_MS). */
  lookupTtlMs?: number;
  /** Test seam: the clock sessions expire by. */
  now?: () => number;
}

/** A refusal decided inside a transaction: the transaction rolls back, then the refusal is audited. */
class Refusal {
  constructor(
    readonly action: string,
    readonly target: AuditTarget,
    readonly reason: string,
    readonly message: string,
  ) {}
}

const OWNER_RULE = "only an owner may grant, change or remove the owner role";
const ALREADY_SET_UP = "Cloakroom is already set up";

/**
 * Maps a unique-index violation of this one write to `code` (the database decides, STYLE.md); any other
 * failure, such as the audit append after it, passes through unchanged.
 */
async function unique<T>(write: Promise<T>, code: ErrorCode, message: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError(code, message);
    throw error;
  }
}

export function createAuthService(deps: AuthServiceDeps): AuthService {
  const { store, audit } = deps;
  const ttl = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new RangeError("sessionTtlMs must be a positive integer");
  const now = deps.now ?? Date.now;
  const iso = (ms = now()) => new Date(ms).toISOString();
  const lookups = createAuthLookupCache({
    notifications: deps.notifications,
    ttlMs: deps.lookupTtlMs ?? 5000,
  });
  const hash = (password: string) =>
    deps.passwordParams ? hashPassword(password, deps.passwordParams) : hashPassword(password);

  // Unknown emails are checked against this hash so that a wrong email costs what a wrong password does.
  let dummyHash: Promise<string> | undefined;
  const dummy = () => {
    dummyHash ??= hash(generateToken("crk_s"));
    return dummyHash;
  };

  const source = (ctx: RequestContext) => ctx.sourceIp;

  async function deny(access: OrgAccess, refusal: Refusal): Promise<never> {
    await audit.appendNow({
      orgId: access.org.id,
      actor: access.actor,
      action: refusal.action,
      target: refusal.target,
      outcome: "denied",
      sourceIp: source(access.ctx),
      details: { role: access.role, reason: refusal.reason },
    });
    throw new AppError("forbidden", refusal.message);
  }

  /** Runs `fn` in a transaction; a Refusal thrown inside is audited after the rollback. */
  async function change<T>(access: OrgAccess, fn: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await store.transaction(fn);
    } catch (error) {
      if (error instanceof Refusal) return deny(access, error);
      throw error;
    }
  }

  const entry = (
    access: OrgAccess,
    rest: Omit<AuditEntryInput, "orgId" | "actor" | "sourceIp" | "outcome">,
  ) => ({
    orgId: access.org.id,
    actor: access.actor,
    sourceIp: source(access.ctx),
    outcome: "success" as const,
    ...rest,
  });

  const newSession = sessionIssuer(ttl, now);

  async function authorize(access: OrgAccess, action: Action, target?: AuditTarget): Promise<void> {
    if (can(access.role, action, access.org)) return;
    await deny(
      access,
      new Refusal(
        action,
        target ?? { type: "org", id: access.org.id, name: access.org.slug },
        "role",
        `your role (${access.role}) does not allow ${action}`,
      ),
    );
  }

  const requireOwnerFor = (access: OrgAccess, roles: Role[], action: string, target: AuditTarget) => {
    if (roles.includes("owner") && access.role !== "owner")
      throw new Refusal(action, target, "owner_rule", OWNER_RULE);
  };

  async function me(ctx: RequestContext): Promise<MeAnswer> {
    const actor = requireActor(ctx);
    if (actor.type === "token") {
      const org = await q.orgById(store.db, actor.orgId);
      return {
        user: null,
        token: { id: actor.tokenId, name: actor.name, role: actor.role, orgId: actor.orgId },
        orgs: org ? [orgView(org, actor.role)] : [],
      };
    }
    const user = await q.userById(store.db, actor.userId);
    if (!user) throw new AppError("unauthenticated", "sign in again");
    const orgs = await q.membershipsOf(store.db, actor.userId);
    return {
      user: { id: user.id, email: user.email, createdAt: user.created_at },
      orgs: orgs.map((row) => orgView(q.toOrgRecord(row), row.role)),
    };
  }

  return {
    async authenticate(headers) {
      const token = extractToken(headers);
      if (token === null) return null;
      const format = TOKEN_FORMAT.exec(token);
      if (!format) return null;
      const tokenHash = hashToken(token);
      if (format[1] === "s") {
        const session = await q.sessionByHash(store.db, tokenHash);
        if (!session || !constantTimeEqual(session.token_hash, tokenHash)) return null;
        if (session.expires_at <= iso()) {
          await q.deleteSessionByHash(store.db, tokenHash).catch(() => {});
          return null;
        }
        return { type: "user", userId: session.user_id, email: session.email };
      }
      const row = await lookups.get(`t:${tokenHash}`, () => q.apiTokenByHash(store.db, tokenHash));
      if (!row || !constantTimeEqual(row.token_hash, tokenHash)) return null;
      const at = now();
      if (row.last_used_at === null || Date.parse(row.last_used_at) + TOKEN_TOUCH_INTERVAL_MS < at) {
        // A hint only: a busy database must not fail the request.
        await q.touchApiToken(store.db, row.id, iso(at)).catch(() => {});
        row.last_used_at = iso(at);
      }
      return { type: "token", tokenId: row.id, orgId: row.org_id, role: row.role, name: row.name };
    },

    async orgAccess(ctx, orgSlug) {
      const actor = ctx.actor;
      if (!actor) throw new AppError("unauthenticated", "sign in or send a valid bearer token");
      const notFound = async (reason: string): Promise<never> => {
        // Recorded outside every organization: the probed tenant must not learn who probed it, nor the
        // prober whether it exists.
        await audit.appendNow({
          orgId: null,
          actor,
          action: "org.access",
          target: { type: "org", name: orgSlug.slice(0, 200) },
          outcome: "denied",
          sourceIp: source(ctx),
          details: { reason },
        });
        throw new AppError("not_found", `organization ${orgSlug.slice(0, 63)} not found`);
      };
      const org = isValidSlug(orgSlug)
        ? await lookups.get(`o:${orgSlug}`, () => q.orgBySlug(store.db, orgSlug))
        : undefined;
      if (!org) return notFound("no_such_org");
      let role: Role | undefined;
      if (actor.type === "token") role = actor.orgId === org.id ? actor.role : undefined;
      else role = await q.roleOf(store.db, org.id, actor.userId);
      if (!role) return notFound("not_a_member");
      return { ctx, actor, org, role };
    },

    authorize,

    async project(access, projectSlug) {
      const project = isValidSlug(projectSlug)
        ? await lookups.get(`p:${access.org.id}/${projectSlug}`, () =>
            q.projectBySlug(store.db, access.org.id, projectSlug),
          )
        : undefined;
      if (!project) throw new AppError("not_found", `project ${projectSlug.slice(0, 63)} not found`);
      return project;
    },

    async setup(ctx, rawInput) {
      const input = parseInput(setupBody, rawInput);
      const passwordHash = await hash(input.password);
      try {
        return await store.transaction(async (tx) => {
          const at = iso();
          // The meta row is the lock: a concurrent setup fails on its primary key (or, on SQLite, waits and
          // then fails on it), so exactly one wins. The user count covers databases filled another way.
          await unique(q.claimSetup(tx, at), "already_set_up", ALREADY_SET_UP);
          if ((await q.countUsers(tx)) > 0) throw new AppError("already_set_up", ALREADY_SET_UP);
          const user = { id: newId(), email: input.email, passwordHash, at };
          await q.insertUser(tx, user);
          const org = newOrg(input.org, input.org, at);
          await q.insertOrg(tx, org);
          await q.insertMember(tx, { orgId: org.id, userId: user.id, role: "owner", at });
          const session = await newSession(tx, user.id);
          await audit.append(tx, {
            orgId: org.id,
            actor: { type: "user", userId: user.id, email: user.email },
            action: "setup",
            target: { type: "org", id: org.id, name: org.slug },
            outcome: "success",
            sourceIp: source(ctx),
          });
          return {
            ...session,
            org: orgView(org, "owner"),
            user: { id: user.id, email: user.email, createdAt: at },
          };
        });
      } catch (error) {
        if (!(error instanceof AppError && error.code === "already_set_up")) throw error;
        await audit.appendNow({
          orgId: null,
          actor: ctx.actor,
          action: "setup",
          outcome: "denied",
          sourceIp: source(ctx),
          details: { reason: "already_set_up" },
        });
        throw error;
      }
    },

    async login(ctx, rawInput) {
      const input = parseInput(loginBody, rawInput);
      const user = await q.userByEmail(store.db, input.email);
      const valid = await verifyPassword(input.password, user?.password_hash ?? (await dummy()));
      if (!user || !valid) {
        await audit.appendNow({
          orgId: null,
          actor: null,
          action: "auth.login",
          target: { type: "user", name: input.email },
          outcome: "failure",
          sourceIp: source(ctx),
          details: { reason: "bad_credentials" },
        });
        throw new AppError("unauthenticated", "wrong email or password");
      }
      return store.transaction(async (tx) => {
        const session = await newSession(tx, user.id);
        await audit.append(tx, {
          orgId: null,
          actor: { type: "user", userId: user.id, email: user.email },
          action: "auth.login",
          target: { type: "user", id: user.id, name: user.email },
          outcome: "success",
          sourceIp: source(ctx),
        });
        return session;
      });
    },

    async isSetUp() {
      return (await q.countUsers(store.db)) > 0;
    },

    async logout(ctx, headers) {
      const token = extractToken(headers);
      if (token === null || !token.startsWith("crk_s_") || ctx.actor?.type !== "user") return;
      const actor = ctx.actor;
      await store.transaction(async (tx) => {
        if (!(await q.deleteSessionByHash(tx, hashToken(token)))) return;
        await audit.append(tx, {
          orgId: null,
          actor,
          action: "auth.logout",
          target: { type: "user", id: actor.userId, name: actor.email },
          outcome: "success",
          sourceIp: source(ctx),
        });
      });
    },

    me,

    async createOrg(ctx, rawInput) {
      const actor = requireActor(ctx);
      const input = parseInput(createOrgBody, rawInput);
      if (actor.type === "token") {
        await audit.appendNow({
          orgId: actor.orgId,
          actor,
          action: "org.create",
          target: { type: "org", name: input.slug },
          outcome: "denied",
          sourceIp: source(ctx),
          details: { reason: "api_token" },
        });
        throw new AppError("forbidden", "an API token belongs to one organization and cannot create another");
      }
      const org = newOrg(input.slug, input.name, iso());
      await store.transaction(async (tx) => {
        await unique(q.insertOrg(tx, org), "name_taken", `organization slug ${org.slug} is taken`);
        await q.insertMember(tx, { orgId: org.id, userId: actor.userId, role: "owner", at: org.createdAt });
        await audit.append(tx, {
          orgId: org.id,
          actor,
          action: "org.create",
          target: { type: "org", id: org.id, name: org.slug },
          outcome: "success",
          sourceIp: source(ctx),
          details: { name: org.name },
        });
      });
      return orgView(org, "owner");
    },

    async listOrgs(ctx) {
      return (await me(ctx)).orgs;
    },

    async getSettings(access) {
      await authorize(access, "org.read");
      return settingsView(access.org);
    },

    async updateSettings(access, rawPatch) {
      await authorize(access, "org.settings.write");
      const patch = parseInput(updateSettingsBody, rawPatch);
      const view = await store.transaction(async (tx) => {
        const before = await q.orgById(tx, access.org.id);
        if (!before) throw new AppError("not_found", `organization ${access.org.slug} not found`);
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        for (const key of [
          "namingPolicy",
          "editorsManageSecrets",
          "editorsComputeWithRestricted",
          "versionsKept",
        ] as const) {
          const to = patch[key];
          if (to !== undefined && to !== before[key]) changes[key] = { from: before[key], to };
        }
        if (Object.keys(changes).length === 0) return settingsView(before);
        await q.updateOrgSettings(tx, access.org.id, patch);
        await lookups.changed(tx);
        await audit.append(
          tx,
          entry(access, {
            action: "org.settings.update",
            target: { type: "org", id: access.org.id, name: access.org.slug },
            details: { changes },
          }),
        );
        return settingsView({ ...before, ...patch });
      });
      lookups.drop(); // again after commit: a lookup in between could have read the old row
      return view;
    },

    async listMembers(access) {
      await authorize(access, "member.read");
      const rows = await q.listMembers(store.db, access.org.id);
      return rows.map(memberView);
    },

    async updateMember(access, userId, rawRole) {
      await authorize(access, "member.write");
      const role = parseInput(roleSchema, rawRole);
      return change(access, async (tx) => {
        await q.lockOrg(tx, store.dialect, access.org.id);
        const member = await q.memberOf(tx, access.org.id, userId);
        if (!member) throw memberNotFound(userId);
        const target = { type: "member", id: userId, name: member.email };
        requireOwnerFor(access, [member.role, role], "member.update", target);
        if (member.role === role) return memberView(member);
        if (member.role === "owner" && (await q.countOwners(tx, access.org.id)) <= 1) {
          throw new AppError("conflict", "the last owner cannot be demoted: make another member owner first");
        }
        await q.setMemberRole(tx, access.org.id, userId, role);
        await audit.append(
          tx,
          entry(access, { action: "member.update", target, details: { from: member.role, to: role } }),
        );
        return memberView({ ...member, role });
      });
    },

    async removeMember(access, userId) {
      await authorize(access, "member.write");
      const removed = await change(access, async (tx) => {
        await q.lockOrg(tx, store.dialect, access.org.id);
        const member = await q.memberOf(tx, access.org.id, userId);
        if (!member) throw memberNotFound(userId);
        const target = { type: "member", id: userId, name: member.email };
        requireOwnerFor(access, [member.role], "member.remove", target);
        if (member.role === "owner" && (await q.countOwners(tx, access.org.id)) <= 1) {
          throw new AppError("conflict", "the last owner cannot be removed: make another member owner first");
        }
        await q.deleteMember(tx, access.org.id, userId);
        // What the member made keeps their access alive after they leave: it goes with them, in this
        // transaction, so re-adding them later revives none of it.
        const tokens = await q.deleteApiTokensCreatedBy(tx, access.org.id, userId);
        // Cached token lookups on every node go with them (lookup-cache.ts), as for a token deleted alone.
        if (tokens.length > 0) await lookups.changed(tx);
        const invitationsRevoked = await q.deleteInvitationsCreatedBy(tx, access.org.id, userId);
        await audit.append(
          tx,
          entry(access, {
            action: "member.remove",
            target,
            details: {
              role: member.role,
              tokensRevoked: tokens.length,
              revokedTokens: tokens.map((t) => ({ id: t.id, name: t.name })),
              invitationsRevoked,
            },
          }),
        );
        return { tokensRevoked: tokens.length, invitationsRevoked };
      });
      if (removed.tokensRevoked > 0) lookups.drop(); // again after commit, as in deleteToken
      return removed;
    },

    async listTokens(access) {
      await authorize(access, "token.read");
      const rows = await q.listApiTokens(store.db, access.org.id);
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        role: row.role,
        createdAt: row.created_at,
        createdBy: row.created_by,
        lastUsedAt: row.last_used_at,
      }));
    },

    async createToken(access, rawInput) {
      await authorize(access, "token.write");
      const input = parseInput(createTokenBody, rawInput);
      const id = newId();
      const target = { type: "token", id, name: input.name };
      if (input.role === "owner" && access.role !== "owner") {
        return deny(access, new Refusal("token.create", target, "owner_rule", OWNER_RULE));
      }
      const token = generateToken("crk_t");
      const at = iso();
      await store.transaction(async (tx) => {
        const actor = access.actor;
        await q.insertApiToken(tx, {
          created_by_user_id:
            actor.type === "user" ? actor.userId : await q.apiTokenCreator(tx, actor.tokenId),
          id,
          org_id: access.org.id,
          name: input.name,
          role: input.role,
          token_hash: hashToken(token),
          created_at: at,
          created_by: actorLabel(access.actor),
          last_used_at: null,
        });
        await audit.append(
          tx,
          entry(access, { action: "token.create", target, details: { role: input.role } }),
        );
      });
      return { id, token, name: input.name, role: input.role, createdAt: at };
    },

    async deleteToken(access, tokenId) {
      await authorize(access, "token.write");
      await change(access, async (tx) => {
        const row = await q.apiTokenInOrg(tx, access.org.id, tokenId);
        if (!row) throw new AppError("not_found", `token ${tokenId.slice(0, 64)} not found`);
        const target = { type: "token", id: row.id, name: row.name };
        requireOwnerFor(access, [row.role], "token.delete", target);
        await q.deleteApiToken(tx, access.org.id, row.id);
        await lookups.changed(tx);
        await audit.append(
          tx,
          entry(access, { action: "token.delete", target, details: { role: row.role } }),
        );
      });
      lookups.drop(); // again after commit: a lookup in between could have read the revoked row
    },

    async listProjects(access) {
      await authorize(access, "project.read");
      return (await q.listProjects(store.db, access.org.id)).map(projectView);
    },

    async createProject(access, rawInput) {
      await authorize(access, "project.write");
      const input = parseInput(createProjectBody, rawInput);
      const project: ProjectRecord = {
        id: newId(),
        orgId: access.org.id,
        slug: input.slug,
        name: input.name,
        createdAt: iso(),
      };
      await store.transaction(async (tx) => {
        await unique(q.insertProject(tx, project), "name_taken", `project slug ${project.slug} is taken`);
        await audit.append(
          tx,
          entry(access, {
            action: "project.create",
            target: { type: "project", id: project.id, name: project.slug },
            details: { name: project.name },
          }),
        );
      });
      return projectView(project);
    },
  };
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

function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw invalidRequest("body", result.error);
  return result.data;
}

function requireActor(ctx: RequestContext): Actor {
  if (!ctx.actor) throw new AppError("unauthenticated", "sign in or send a valid bearer token");
  return ctx.actor;
}

const memberNotFound = (userId: string) =>
  new AppError("not_found", `member ${userId.slice(0, 64)} not found`);

function newOrg(slug: string, name: string, at: string): OrgRecord {
  return {
    id: newId(),
    slug,
    name,
    namingPolicy: "upper_snake",
    editorsManageSecrets: false,
    editorsComputeWithRestricted: false,
    versionsKept: 10,
    createdAt: at,
  };
}

const orgView = (org: OrgRecord, role: Role): OrgView => ({
  id: org.id,
  slug: org.slug,
  name: org.name,
  role,
  createdAt: org.createdAt,
});

const settingsView = (
  org: Pick<
    OrgRecord,
    "namingPolicy" | "editorsManageSecrets" | "editorsComputeWithRestricted" | "versionsKept"
  >,
) => ({
  namingPolicy: org.namingPolicy,
  editorsManageSecrets: org.editorsManageSecrets,
  editorsComputeWithRestricted: org.editorsComputeWithRestricted,
  versionsKept: org.versionsKept,
});

const memberView = (row: { user_id: string; email: string; role: Role; created_at: string }): MemberView => ({
  userId: row.user_id,
  email: row.email,
  role: row.role,
  createdAt: row.created_at,
});

const projectView = (p: ProjectRecord): ProjectView => ({
  id: p.id,
  slug: p.slug,
  name: p.name,
  createdAt: p.createdAt,
});

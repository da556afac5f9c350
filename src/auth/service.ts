/**
 * Who is calling and what they may do: sign-in, sessions and API tokens, organizations and their members,
 * settings and projects. Every change is audited in its own transaction (A1, A2); every refusal is audited
 * as "denied". Roles are decided by policy.ts alone; the only rules here beyond it are the owner rules
 * (only owners grant, change or remove the owner role; the last owner stays).
 */
import type { z } from "zod";
import type { AuditAction } from "../audit/actions.js";
import { type AuditCaller, type AuditTarget, refuse } from "../audit/audited.js";
import type { AuditLog } from "../audit/types.js";
import {
  constantTimeEqual,
  generateToken,
  hashPassword,
  hashToken,
  type ScryptParams,
  verifyPassword,
} from "../crypto/index.js";
import { AppError } from "../errors.js";
import { invalidRequest } from "../http/errors.js";
import { isUniqueViolation, type Store } from "../store/db.js";
import { newId } from "../store/ids.js";
import type { Notifications } from "../store/notifications.js";
import { callerAudited, orgAudited } from "./audited.js";
import { createAuthLookupCache } from "./lookup-cache.js";
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

export const SESSION_COOKIE = "cloakroom_session";
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
  /**
   * Whether the caller's role allows `action` (policy.ts's permissions of it). Refusals are audited
   * ("denied", under `action`) and thrown as 403 `forbidden`.
   */
  authorize(access: OrgAccess, action: AuditAction, target?: AuditTarget): Promise<void>;
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

export type { AuditTarget } from "../audit/audited.js";

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

const OWNER_RULE = "only an owner may grant, change or remove the owner role";
const ALREADY_SET_UP = "Cloakroom is already set up";

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

  const audited = orgAudited({ store, audit });
  const anonymous = callerAudited({ store, audit });
  const caller = (ctx: RequestContext, orgId: string | null = null): AuditCaller => ({
    orgId,
    actor: ctx.actor,
    sourceIp: ctx.sourceIp,
  });

  const newSession = sessionIssuer(ttl, now);

  async function authorize(access: OrgAccess, action: AuditAction, target?: AuditTarget): Promise<void> {
    await audited.authorize(access, { action, target });
  }

  /** Inside a change: only an owner grants, changes or removes the owner role. */
  const requireOwnerFor = (access: OrgAccess, roles: Role[], target: AuditTarget) => {
    if (roles.includes("owner") && access.role !== "owner")
      refuse({ reason: "owner_rule", message: OWNER_RULE, target });
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
        return anonymous.refuse(
          caller(ctx),
          { action: "org.access", target: { type: "org", name: orgSlug.slice(0, 200) } },
          { reason, code: "not_found", message: `organization ${orgSlug.slice(0, 63)} not found` },
        );
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
      const setUp = () =>
        refuse({ reason: "already_set_up", code: "already_set_up", message: ALREADY_SET_UP });
      return anonymous(caller(ctx), { action: "setup" }, async (tx, entry) => {
        const at = iso();
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
        const session = await newSession(tx, user.id);
        entry.orgId = org.id;
        entry.actor = { type: "user", userId: user.id, email: user.email };
        entry.target = { type: "org", id: org.id, name: org.slug };
        return {
          ...session,
          org: orgView(org, "owner"),
          user: { id: user.id, email: user.email, createdAt: at },
        };
      });
    },

    async login(ctx, rawInput) {
      const input = parseInput(loginBody, rawInput);
      const user = await q.userByEmail(store.db, input.email);
      const valid = await verifyPassword(input.password, user?.password_hash ?? (await dummy()));
      const signIn = { ...caller(ctx), actor: null };
      if (!user || !valid) {
        return anonymous.refuse(
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
      return anonymous(signIn, { action: "auth.login", target }, async (tx, entry) => {
        entry.actor = { type: "user", userId: user.id, email: user.email };
        return newSession(tx, user.id);
      });
    },

    async isSetUp() {
      return (await q.countUsers(store.db)) > 0;
    },

    async logout(ctx, headers) {
      const token = extractToken(headers);
      if (token === null || !token.startsWith("crk_s_") || ctx.actor?.type !== "user") return;
      const target = { type: "user", id: ctx.actor.userId, name: ctx.actor.email };
      await anonymous(caller(ctx), { action: "auth.logout", target }, async (tx, entry) => {
        entry.record = await q.deleteSessionByHash(tx, hashToken(token));
      });
    },

    me,

    async createOrg(ctx, rawInput) {
      const actor = requireActor(ctx);
      const input = parseInput(createOrgBody, rawInput);
      if (actor.type === "token") {
        return anonymous.refuse(
          caller(ctx, actor.orgId),
          { action: "org.create", target: { type: "org", name: input.slug } },
          {
            reason: "api_token",
            message: "an API token belongs to one organization and cannot create another",
          },
        );
      }
      const org = newOrg(input.slug, input.name, iso());
      const change = {
        action: "org.create",
        target: { type: "org", id: org.id, name: org.slug },
        unique: { code: "name_taken", message: `organization slug ${org.slug} is taken` },
      } as const;
      await anonymous(caller(ctx, org.id), change, async (tx, entry) => {
        await q.insertOrg(tx, org);
        await q.insertMember(tx, { orgId: org.id, userId: actor.userId, role: "owner", at: org.createdAt });
        entry.details = { name: org.name };
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
      const target = { type: "org", id: access.org.id, name: access.org.slug };
      await audited.authorize(access, { action: "org.settings.update", target });
      const patch = parseInput(updateSettingsBody, rawPatch);
      const change = { action: "org.settings.update", target } as const;
      const view = await audited(access, change, async (tx, entry) => {
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
        entry.record = Object.keys(changes).length > 0;
        if (!entry.record) return settingsView(before);
        await q.updateOrgSettings(tx, access.org.id, patch);
        await lookups.changed(tx);
        entry.details = { changes };
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
      await audited.authorize(access, { action: "member.update" });
      const role = parseInput(roleSchema, rawRole);
      return audited(access, { action: "member.update" }, async (tx, entry) => {
        await q.lockOrg(tx, store.dialect, access.org.id);
        const member = await q.memberOf(tx, access.org.id, userId);
        if (!member) throw memberNotFound(userId);
        entry.target = { type: "member", id: userId, name: member.email };
        requireOwnerFor(access, [member.role, role], entry.target);
        entry.record = member.role !== role;
        if (!entry.record) return memberView(member);
        if (member.role === "owner" && (await q.countOwners(tx, access.org.id)) <= 1) {
          throw new AppError("conflict", "the last owner cannot be demoted: make another member owner first");
        }
        await q.setMemberRole(tx, access.org.id, userId, role);
        entry.details = { from: member.role, to: role };
        return memberView({ ...member, role });
      });
    },

    async removeMember(access, userId) {
      const removed = await audited(access, { action: "member.remove" }, async (tx, entry) => {
        await q.lockOrg(tx, store.dialect, access.org.id);
        const member = await q.memberOf(tx, access.org.id, userId);
        if (!member) throw memberNotFound(userId);
        entry.target = { type: "member", id: userId, name: member.email };
        requireOwnerFor(access, [member.role], entry.target);
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
        entry.details = {
          role: member.role,
          tokensRevoked: tokens.length,
          revokedTokens: tokens.map((t) => ({ id: t.id, name: t.name })),
          invitationsRevoked,
        };
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
      await audited.authorize(access, { action: "token.create" });
      const input = parseInput(createTokenBody, rawInput);
      const id = newId();
      const change = { action: "token.create", target: { type: "token", id, name: input.name } } as const;
      if (input.role === "owner" && access.role !== "owner") {
        return audited.refuse(access, change, { reason: "owner_rule", message: OWNER_RULE });
      }
      const token = generateToken("crk_t");
      const at = iso();
      await audited(access, change, async (tx, entry) => {
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
        entry.details = { role: input.role };
      });
      return { id, token, name: input.name, role: input.role, createdAt: at };
    },

    async deleteToken(access, tokenId) {
      await audited(access, { action: "token.delete" }, async (tx, entry) => {
        const row = await q.apiTokenInOrg(tx, access.org.id, tokenId);
        if (!row) throw new AppError("not_found", `token ${tokenId.slice(0, 64)} not found`);
        entry.target = { type: "token", id: row.id, name: row.name };
        requireOwnerFor(access, [row.role], entry.target);
        await q.deleteApiToken(tx, access.org.id, row.id);
        await lookups.changed(tx);
        entry.details = { role: row.role };
      });
      lookups.drop(); // again after commit: a lookup in between could have read the revoked row
    },

    async listProjects(access) {
      await authorize(access, "project.read");
      return (await q.listProjects(store.db, access.org.id)).map(projectView);
    },

    async createProject(access, rawInput) {
      await audited.authorize(access, { action: "project.create" });
      const input = parseInput(createProjectBody, rawInput);
      const project: ProjectRecord = {
        id: newId(),
        orgId: access.org.id,
        slug: input.slug,
        name: input.name,
        createdAt: iso(),
      };
      const change = {
        action: "project.create",
        target: { type: "project", id: project.id, name: project.slug },
        unique: { code: "name_taken", message: `project slug ${project.slug} is taken` },
      } as const;
      await audited(access, change, async (tx, entry) => {
        await q.insertProject(tx, project);
        entry.details = { name: project.name };
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

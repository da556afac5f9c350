/**
 * Who is calling and what they may do, as one service over its modules: sign-in.ts (tokens, sessions,
 * setup, sign-in and out, `me`), access.ts (orgAccess, authorize, projects by slug), orgs.ts, members.ts,
 * tokens.ts and projects.ts. Every change goes through audit's one path (auth/audited.ts): authorized by
 * policy.ts, audited in its own transaction (A1, A2), every refusal audited as "denied" under its action.
 */
import type { AuditAction } from "../audit/actions.js";
import type { AuditTarget } from "../audit/audited.js";
import type { AuditLog } from "../audit/types.js";
import { generateToken, hashPassword, type ScryptParams } from "../crypto/index.js";
import type { Store } from "../store/db.js";
import type { Notifications } from "../store/notifications.js";
import { authorize, orgAccess, project } from "./access.js";
import { callerAudited, orgAudited } from "./audited.js";
import { createAuthLookupCache } from "./lookup-cache.js";
import { listMembers, removeMember, updateMember } from "./members.js";
import { createOrg, getSettings, listOrgs, updateSettings } from "./orgs.js";
import type { AuthParts } from "./parts.js";
import { createProject, listProjects } from "./projects.js";
import type {
  CreatedTokenView,
  CreateOrgInput,
  CreateProjectInput,
  CreateTokenInput,
  LoginInput,
  MeAnswer,
  MemberView,
  OrgView,
  ProjectView,
  SettingsPatch,
  SettingsView,
  SetupInput,
  TokenView,
  UserView,
} from "./schema.js";
import { type SessionAnswer, sessionIssuer } from "./sessions.js";
import { type AuthHeaders, authenticate, login, logout, me, setup } from "./sign-in.js";
import { countUsers } from "./store.js";
import { createToken, deleteToken, listTokens } from "./tokens.js";
import type { Actor, OrgAccess, ProjectRecord, RequestContext, Role } from "./types.js";

export type { SessionAnswer } from "./sessions.js";
export { type AuthHeaders, extractToken, SESSION_COOKIE } from "./sign-in.js";

export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

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

export function createAuthService(deps: AuthServiceDeps): AuthService {
  const { store, audit } = deps;
  const ttl = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new RangeError("sessionTtlMs must be a positive integer");
  const now = deps.now ?? Date.now;
  const hash = (password: string) =>
    deps.passwordParams ? hashPassword(password, deps.passwordParams) : hashPassword(password);
  let dummyHash: Promise<string> | undefined;
  const p: AuthParts = {
    store,
    audited: orgAudited({ store, audit }),
    anonymous: callerAudited({ store, audit }),
    lookups: createAuthLookupCache({ notifications: deps.notifications, ttlMs: deps.lookupTtlMs ?? 5000 }),
    now,
    iso: (ms = now()) => new Date(ms).toISOString(),
    hashPassword: hash,
    dummyHash: () => {
      dummyHash ??= hash(generateToken("crk_s"));
      return dummyHash;
    },
    newSession: sessionIssuer(ttl, now),
  };
  return {
    authenticate: (headers) => authenticate(p, headers),
    orgAccess: (ctx, orgSlug) => orgAccess(p, ctx, orgSlug),
    authorize: (access, action, target) => authorize(p, access, action, target),
    project: (access, projectSlug) => project(p, access, projectSlug),
    setup: (ctx, input) => setup(p, ctx, input),
    login: (ctx, input) => login(p, ctx, input),
    isSetUp: async () => (await countUsers(store.db)) > 0,
    logout: (ctx, headers) => logout(p, ctx, headers),
    me: (ctx) => me(p, ctx),
    createOrg: (ctx, input) => createOrg(p, ctx, input),
    listOrgs: (ctx) => listOrgs(p, ctx),
    getSettings: (access) => getSettings(p, access),
    updateSettings: (access, patch) => updateSettings(p, access, patch),
    listMembers: (access) => listMembers(p, access),
    updateMember: (access, userId, role) => updateMember(p, access, userId, role),
    removeMember: (access, userId) => removeMember(p, access, userId),
    listTokens: (access) => listTokens(p, access),
    createToken: (access, input) => createToken(p, access, input),
    deleteToken: (access, tokenId) => deleteToken(p, access, tokenId),
    listProjects: (access) => listProjects(p, access),
    createProject: (access, input) => createProject(p, access, input),
  };
}

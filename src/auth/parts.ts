/**
 * What the auth service's modules share (sessions.ts, access.ts, orgs.ts, members.ts, tokens.ts,
 * projects.ts), and the views they answer with.
 */
import type { z } from "zod";
import type { AuditAction } from "../audit/actions.js";
import type { AuditCaller, Audited, AuditedChange } from "../audit/audited.js";
import { AppError } from "../errors.js";
import { invalidRequest } from "../http/errors.js";
import type { Store, Tx } from "../store/db.js";
import { newId } from "../store/ids.js";
import type { OrgAudited } from "./audited.js";
import type { AuthLookupCache } from "./lookup-cache.js";
import type { Action } from "./policy.js";
import type { MemberView, OrgView, ProjectView, SettingsView, TokenView } from "./schema.js";
import type { SessionIssuer } from "./sessions.js";
import type { MemberRecord } from "./store.js";
import type { TokenRecord } from "./token-store.js";
import type { Actor, OrgAccess, OrgRecord, ProjectRecord, RequestContext, Role } from "./types.js";

export interface AuthParts {
  store: Store;
  /** Changes by an organization's members, authorized by policy.ts. */
  audited: OrgAudited;
  /** Changes by callers without an organization's access (setup, sign-in, a new organization). */
  anonymous: Audited<AuditCaller>;
  /** API-token, organization and project lookups, dropped on every node when one changes. */
  lookups: AuthLookupCache;
  now(): number;
  iso(ms?: number): string;
  hashPassword(password: string): Promise<string>;
  /** A hash to check unknown emails against, so a wrong email costs what a wrong password does. */
  dummyHash(): Promise<string>;
  newSession: SessionIssuer;
}

export const OWNER_RULE = "only an owner may grant, change or remove the owner role";

/** Who acts, for an entry outside an organization's access (or, with `orgId`, in a given one). */
export const callerOf = (ctx: RequestContext, orgId: string | null = null): AuditCaller => ({
  orgId,
  actor: ctx.actor,
  sourceIp: ctx.sourceIp,
});

export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw invalidRequest("body", result.error);
  return result.data;
}

/** A list of the caller's organization's records, as views, once policy.ts allows the caller `action`. */
export function orgList<R, V>(
  action: AuditAction,
  list: (db: Tx, orgId: string) => Promise<R[]>,
  view: (record: R) => V,
) {
  return async (p: AuthParts, access: OrgAccess): Promise<V[]> => {
    await p.audited.authorize(access, { action });
    return (await list(p.store.db, access.org.id)).map(view);
  };
}

/** A change whose input is parsed once policy.ts allows the caller `action` (see allowedInput). */
export function orgChange<I, R>(
  action: AuditAction,
  schema: z.ZodType<I>,
  change: (p: AuthParts, access: OrgAccess, input: I) => Promise<R>,
) {
  return async (p: AuthParts, access: OrgAccess, rawInput: I): Promise<R> =>
    change(p, access, await allowedInput(p, access, { action }, schema, rawInput));
}

/** The caller's input to a change, parsed once policy.ts allows it: a refused caller learns nothing of it. */
export async function allowedInput<T>(
  p: AuthParts,
  access: OrgAccess,
  change: AuditedChange<Action>,
  schema: z.ZodType<T>,
  input: unknown,
): Promise<T> {
  await p.audited.authorize(access, change);
  return parseInput(schema, input);
}

export function requireActor(ctx: RequestContext): Actor {
  if (!ctx.actor) throw new AppError("unauthenticated", "sign in or send a valid bearer token");
  return ctx.actor;
}

export function newOrg(slug: string, name: string, at: string): OrgRecord {
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

export const orgView = (org: OrgRecord, role: Role): OrgView => ({
  id: org.id,
  slug: org.slug,
  name: org.name,
  role,
  createdAt: org.createdAt,
});

export const settingsView = (
  org: Pick<
    OrgRecord,
    "namingPolicy" | "editorsManageSecrets" | "editorsComputeWithRestricted" | "versionsKept"
  >,
): SettingsView => ({
  namingPolicy: org.namingPolicy,
  editorsManageSecrets: org.editorsManageSecrets,
  editorsComputeWithRestricted: org.editorsComputeWithRestricted,
  versionsKept: org.versionsKept,
});

export const memberView = (m: MemberRecord): MemberView => ({
  userId: m.userId,
  email: m.email,
  role: m.role,
  createdAt: m.createdAt,
});

export const projectView = (p: ProjectRecord): ProjectView => ({
  id: p.id,
  slug: p.slug,
  name: p.name,
  createdAt: p.createdAt,
});

export const tokenView = (t: TokenRecord): TokenView => ({
  id: t.id,
  name: t.name,
  role: t.role,
  createdAt: t.createdAt,
  createdBy: t.createdBy,
  lastUsedAt: t.lastUsedAt,
});

/**
 * HTTP routes of the secrets API, for both scopes: `/v1/orgs/:org/...` and `/v1/orgs/:org/projects/:project/...`.
 * Each handler resolves the caller's access, calls one service function and shapes the answer.
 */
import type { z } from "zod";
import type { AuthService } from "../auth/index.js";
import type { RequestContext } from "../caller.js";
import { created, defineRoute, noContent, ok, type RouteDef, SerializedBody } from "../http/route.js";
import {
  createSecretBody,
  listQuery,
  orgParams,
  orgSecretParams,
  patchSecretBody,
  projectParams,
  projectSecretParams,
  revealSchema,
  rollbackBody,
  secretListSchema,
  secretMetadataSchema,
  updateValueBody,
  versionsSchema,
} from "./schema.js";
import type { ScopeTarget, SecretsService } from "./service.js";

/** On a 204 to DELETE: the deleted project secret's consumers now use the organization's secret. */
export const FALLBACK_HEADER = "cloakroom-fallback";

interface Deps {
  secrets: SecretsService;
  auth: AuthService;
}

type ScopeParams = { org: string; project?: string };
type NameParams = ScopeParams & { name: string };

const scopes = [
  { prefix: "/v1/orgs/:org", params: orgParams, nameParams: orgSecretParams, label: "organization" },
  {
    prefix: "/v1/orgs/:org/projects/:project",
    params: projectParams,
    nameParams: projectSecretParams,
    label: "project",
  },
] as const;

export function secretsRoutes({ secrets, auth }: Deps): RouteDef[] {
  async function target(ctx: RequestContext, p: ScopeParams): Promise<ScopeTarget> {
    const access = await auth.orgAccess(ctx, p.org);
    const project = p.project === undefined ? null : await auth.project(access, p.project);
    return { access, project };
  }

  return scopes.flatMap((s) => {
    const scope: ScopeRoutes = {
      secrets,
      target,
      label: s.label,
      base: `${s.prefix}/secrets`,
      one: `${s.prefix}/secrets/:name`,
      nameParams: s.nameParams as unknown as z.ZodType<NameParams>,
      scopeParams: s.params as unknown as z.ZodType<ScopeParams>,
    };
    return [...secretRoutes(scope), ...lifecycleRoutes(scope)];
  });
}

/** What one scope's (organization's or project's) secret routes share. */
interface ScopeRoutes {
  secrets: SecretsService;
  target(ctx: RequestContext, p: ScopeParams): Promise<ScopeTarget>;
  label: string;
  /** `.../secrets` */
  base: string;
  /** `.../secrets/:name` */
  one: string;
  nameParams: z.ZodType<NameParams>;
  scopeParams: z.ZodType<ScopeParams>;
}

const tags = ["secrets"];

/** List, create, read, change the value or metadata of, and delete secrets. */
function secretRoutes({
  secrets,
  target,
  label,
  base,
  one,
  nameParams,
  scopeParams,
}: ScopeRoutes): RouteDef[] {
  return [
    defineRoute({
      method: "GET",
      url: base,
      summary: `List the secrets of an ${label} (metadata only)`,
      tags,
      params: scopeParams,
      query: listQuery,
      responses: { 200: secretListSchema },
      handler: async ({ params, query, ctx }) => {
        const at = await target(ctx, params);
        const options = {
          archived: query.archived === "true",
          q: query.q,
          limit: query.limit,
          cursor: query.cursor,
        };
        const answer = await secrets.listAnswer(at, options);
        return ok(typeof answer === "string" ? new SerializedBody(secretListSchema, answer) : answer);
      },
    }),
    defineRoute({
      method: "POST",
      url: base,
      summary: `Create a secret in an ${label}; the value is never shown again`,
      tags,
      params: scopeParams,
      body: createSecretBody,
      responses: { 201: secretMetadataSchema },
      handler: async ({ params, body, ctx }) =>
        created(await secrets.create(await target(ctx, params), body)),
    }),
    defineRoute({
      method: "GET",
      url: one,
      summary: "A secret's metadata, with the consumers that use it",
      tags,
      params: nameParams,
      responses: { 200: secretMetadataSchema },
      handler: async ({ params, ctx }) => ok(await secrets.get(await target(ctx, params), params.name)),
    }),
    defineRoute({
      method: "PUT",
      url: `${one}/value`,
      summary: "Rotate a secret's value (writes a new version; optional check-and-set on expectedVersion)",
      tags,
      params: nameParams,
      body: updateValueBody,
      responses: { 200: secretMetadataSchema },
      handler: async ({ params, body, ctx }) =>
        ok(await secrets.updateValue(await target(ctx, params), params.name, body)),
    }),
    defineRoute({
      method: "PATCH",
      url: one,
      summary:
        "Change a secret's description or allowed hosts (owners and admins); name, type and visibility are fixed",
      tags,
      params: nameParams,
      body: patchSecretBody,
      responses: { 200: secretMetadataSchema },
      handler: async ({ params, body, ctx }) =>
        ok(await secrets.updateMetadata(await target(ctx, params), params.name, body)),
    }),
    defineRoute({
      method: "DELETE",
      url: one,
      summary:
        "Delete a secret and destroy its ciphertexts (refused while consumers use it, unless it overrides an " +
        "organization secret they fall back to: then the answer carries `Cloakroom-Fallback: org`)",
      tags,
      params: nameParams,
      responses: { 204: null },
      handler: async ({ params, ctx }) => {
        const { fallback } = await secrets.remove(await target(ctx, params), params.name);
        // 204 has no body: an override's consumers falling back to the organization's secret is a header.
        return fallback ? { ...noContent(), headers: { [FALLBACK_HEADER]: fallback } } : noContent();
      },
    }),
  ];
}

/** Archive, restore, reveal, versions and rollback. */
function lifecycleRoutes({ secrets, target, one, nameParams }: ScopeRoutes): RouteDef[] {
  return [
    defineRoute({
      method: "POST",
      url: `${one}/archive`,
      summary: "Archive a secret: hidden, unusable by runs, restorable",
      tags,
      params: nameParams,
      responses: { 200: secretMetadataSchema },
      handler: async ({ params, ctx }) => ok(await secrets.archive(await target(ctx, params), params.name)),
    }),
    defineRoute({
      method: "POST",
      url: `${one}/restore`,
      summary: "Restore an archived secret",
      tags,
      params: nameParams,
      responses: { 200: secretMetadataSchema },
      handler: async ({ params, ctx }) => ok(await secrets.restore(await target(ctx, params), params.name)),
    }),
    defineRoute({
      method: "POST",
      url: `${one}/reveal`,
      summary: "Reveal a masked secret's value (owners and admins; audited)",
      tags,
      params: nameParams,
      responses: { 200: revealSchema },
      handler: async ({ params, ctx }) => ({
        ...ok(await secrets.reveal(await target(ctx, params), params.name)),
        // A revealed value must not stay in a browser's or a proxy's cache.
        headers: { "cache-control": "no-store" },
      }),
    }),
    defineRoute({
      method: "GET",
      url: `${one}/versions`,
      summary: "The kept versions of a secret (never their values)",
      tags,
      params: nameParams,
      responses: { 200: versionsSchema },
      handler: async ({ params, ctx }) =>
        ok({ versions: await secrets.versions(await target(ctx, params), params.name) }),
    }),
    defineRoute({
      method: "POST",
      url: `${one}/rollback`,
      summary: "Roll back to a kept version (writes a new version)",
      tags,
      params: nameParams,
      body: rollbackBody,
      responses: { 200: secretMetadataSchema },
      handler: async ({ params, body, ctx }) =>
        ok(await secrets.rollback(await target(ctx, params), params.name, body.version)),
    }),
  ];
}

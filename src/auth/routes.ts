/** The auth API (SPEC's HTTP contract): thin handlers over AuthService. */
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { wantsCookie } from "../http/csrf.js";
import { created, defineRoute, noContent, ok, type RouteDef } from "../http/route.js";
import {
  createdTokenView,
  createOrgBody,
  createProjectBody,
  createTokenBody,
  loginBody,
  meAnswer,
  memberParams,
  memberView,
  orgParams,
  orgView,
  projectParams,
  projectView,
  sessionAnswer,
  settingsView,
  setupAnswer,
  setupBody,
  setupState,
  tokenParams,
  tokenView,
  updateMemberBody,
  updateSettingsBody,
} from "./schema.js";
import { type AuthService, SESSION_COOKIE } from "./service.js";

/** Enough for a person, far too few for password guessing. */
export const AUTH_RATE_LIMIT_PER_MINUTE = 20;

/** The console's cookie, only when the console asks for it (the CLI and API clients keep the bearer token). */
export function sessionCookie(
  request: FastifyRequest,
  token: string,
  expiresAt: string,
): Record<string, string> {
  if (!wantsCookie(request)) return {};
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
  const secure = request.protocol === "https" ? "; Secure" : "";
  return {
    "set-cookie": `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure}`,
  };
}

function clearedCookie(request: FastifyRequest): Record<string, string> {
  const secure = request.protocol === "https" ? "; Secure" : "";
  return { "set-cookie": `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure}` };
}

const headersOf = (request: FastifyRequest) => ({
  authorization: request.headers.authorization,
  cookie: request.headers.cookie,
});

export function authRoutes(auth: AuthService): RouteDef[] {
  return [
    defineRoute({
      method: "POST",
      url: "/v1/setup",
      summary: "First-run setup: the first user, the first organization, a session",
      tags: ["auth"],
      auth: "none",
      auditAction: "setup",
      rateLimitPerMinute: AUTH_RATE_LIMIT_PER_MINUTE,
      body: setupBody,
      responses: { 201: setupAnswer },
      async handler({ body, ctx, request }) {
        const answer = await auth.setup(ctx, body);
        return { status: 201, body: answer, headers: sessionCookie(request, answer.token, answer.expiresAt) };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/v1/setup",
      summary: "Whether first-run setup has happened (the console shows setup or sign-in)",
      tags: ["auth"],
      auth: "none",
      responses: { 200: setupState },
      handler: async () => ok({ setUp: await auth.isSetUp() }),
    }),
    defineRoute({
      method: "POST",
      url: "/v1/auth/login",
      summary: "Sign in: a session token, also set as the console's cookie",
      tags: ["auth"],
      auth: "none",
      auditAction: "auth.login",
      rateLimitPerMinute: AUTH_RATE_LIMIT_PER_MINUTE,
      body: loginBody,
      responses: { 200: sessionAnswer },
      async handler({ body, ctx, request }) {
        const answer = await auth.login(ctx, body);
        return { status: 200, body: answer, headers: sessionCookie(request, answer.token, answer.expiresAt) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/v1/auth/logout",
      summary: "Sign out: ends the session",
      tags: ["auth"],
      responses: { 204: null },
      async handler({ ctx, request }) {
        await auth.logout(ctx, headersOf(request));
        return { status: 204, headers: clearedCookie(request) };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/v1/me",
      summary: "The caller and their organizations",
      tags: ["auth"],
      responses: { 200: meAnswer },
      handler: async ({ ctx }) => ok(await auth.me(ctx)),
    }),
    defineRoute({
      method: "POST",
      url: "/v1/orgs",
      summary: "Create an organization; the caller becomes its owner",
      tags: ["orgs"],
      body: createOrgBody,
      responses: { 201: orgView },
      handler: async ({ ctx, body }) => created(await auth.createOrg(ctx, body)),
    }),
    defineRoute({
      method: "GET",
      url: "/v1/orgs",
      summary: "The caller's organizations with their role",
      tags: ["orgs"],
      responses: { 200: z.object({ orgs: z.array(orgView) }) },
      handler: async ({ ctx }) => ok({ orgs: await auth.listOrgs(ctx) }),
    }),
    defineRoute({
      method: "GET",
      url: "/v1/orgs/:org/settings",
      summary: "The organization's settings",
      tags: ["orgs"],
      params: orgParams,
      responses: { 200: settingsView },
      async handler({ ctx, params }) {
        return ok(await auth.getSettings(await auth.orgAccess(ctx, params.org)));
      },
    }),
    defineRoute({
      method: "PATCH",
      url: "/v1/orgs/:org/settings",
      summary: "Change the organization's settings",
      tags: ["orgs"],
      params: orgParams,
      body: updateSettingsBody,
      responses: { 200: settingsView },
      async handler({ ctx, params, body }) {
        return ok(await auth.updateSettings(await auth.orgAccess(ctx, params.org), body));
      },
    }),
    defineRoute({
      method: "GET",
      url: "/v1/orgs/:org/members",
      summary: "The organization's members",
      tags: ["members"],
      params: orgParams,
      responses: { 200: z.object({ members: z.array(memberView) }) },
      async handler({ ctx, params }) {
        return ok({ members: await auth.listMembers(await auth.orgAccess(ctx, params.org)) });
      },
    }),
    defineRoute({
      method: "PATCH",
      url: "/v1/orgs/:org/members/:userId",
      summary: "Change a member's role",
      tags: ["members"],
      params: memberParams,
      body: updateMemberBody,
      responses: { 200: memberView },
      async handler({ ctx, params, body }) {
        return ok(await auth.updateMember(await auth.orgAccess(ctx, params.org), params.userId, body.role));
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/v1/orgs/:org/members/:userId",
      summary: "Remove a member; the API tokens and invitations they created are revoked with them",
      tags: ["members"],
      params: memberParams,
      responses: { 204: null },
      async handler({ ctx, params }) {
        await auth.removeMember(await auth.orgAccess(ctx, params.org), params.userId);
        return noContent();
      },
    }),
    defineRoute({
      method: "GET",
      url: "/v1/orgs/:org/tokens",
      summary: "The organization's API tokens (never their values)",
      tags: ["tokens"],
      params: orgParams,
      responses: { 200: z.object({ tokens: z.array(tokenView) }) },
      async handler({ ctx, params }) {
        return ok({ tokens: await auth.listTokens(await auth.orgAccess(ctx, params.org)) });
      },
    }),
    defineRoute({
      method: "POST",
      url: "/v1/orgs/:org/tokens",
      summary: "Create an API token; its value is shown in this answer only",
      tags: ["tokens"],
      params: orgParams,
      body: createTokenBody,
      responses: { 201: createdTokenView },
      async handler({ ctx, params, body }) {
        return created(await auth.createToken(await auth.orgAccess(ctx, params.org), body));
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/v1/orgs/:org/tokens/:id",
      summary: "Revoke an API token",
      tags: ["tokens"],
      params: tokenParams,
      responses: { 204: null },
      async handler({ ctx, params }) {
        await auth.deleteToken(await auth.orgAccess(ctx, params.org), params.id);
        return noContent();
      },
    }),
    defineRoute({
      method: "GET",
      url: "/v1/orgs/:org/projects",
      summary: "The organization's projects",
      tags: ["projects"],
      params: orgParams,
      responses: { 200: z.object({ projects: z.array(projectView) }) },
      async handler({ ctx, params }) {
        return ok({ projects: await auth.listProjects(await auth.orgAccess(ctx, params.org)) });
      },
    }),
    defineRoute({
      method: "POST",
      url: "/v1/orgs/:org/projects",
      summary: "Create a project",
      tags: ["projects"],
      params: orgParams,
      body: createProjectBody,
      responses: { 201: projectView },
      async handler({ ctx, params, body }) {
        return created(await auth.createProject(await auth.orgAccess(ctx, params.org), body));
      },
    }),
    defineRoute({
      method: "GET",
      url: "/v1/orgs/:org/projects/:project",
      summary: "One project",
      tags: ["projects"],
      params: projectParams,
      responses: { 200: projectView },
      async handler({ ctx, params }) {
        const access = await auth.orgAccess(ctx, params.org);
        await auth.authorize(access, "project.read");
        const project = await auth.project(access, params.project);
        return ok({ id: project.id, slug: project.slug, name: project.name, createdAt: project.createdAt });
      },
    }),
  ];
}

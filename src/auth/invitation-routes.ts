/** Invitations over HTTP (SPEC's members and invitations rows): thin handlers over InvitationService. */
import { z } from "zod";
import { defineRoute, noContent, ok, type RouteDef } from "../http/route.js";
import type { InvitationService } from "./invitations.js";
import { AUTH_RATE_LIMIT_PER_MINUTE, sessionCookie } from "./routes.js";
import {
  acceptAnswer,
  acceptInvitationBody,
  createdInvitationView,
  invitationParams,
  invitationView,
  inviteMemberBody,
  orgParams,
} from "./schema.js";
import type { AuthService } from "./service.js";

export function invitationRoutes(deps: {
  auth: Pick<AuthService, "orgAccess">;
  invitations: InvitationService;
}): RouteDef[] {
  const { auth, invitations } = deps;
  return [
    defineRoute({
      method: "POST",
      url: "/v1/orgs/:org/members",
      summary:
        "Invite a person by email: a one-time, expiring token shown in this answer only (and mailed when SMTP is configured)",
      tags: ["members"],
      params: orgParams,
      body: inviteMemberBody,
      responses: { 201: createdInvitationView },
      async handler({ ctx, params, body }) {
        return { status: 201, body: await invitations.create(await auth.orgAccess(ctx, params.org), body) };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/v1/orgs/:org/invitations",
      summary: "Pending invitations (never their tokens)",
      tags: ["members"],
      params: orgParams,
      responses: { 200: z.object({ invitations: z.array(invitationView) }) },
      async handler({ ctx, params }) {
        return ok({ invitations: await invitations.list(await auth.orgAccess(ctx, params.org)) });
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/v1/orgs/:org/invitations/:id",
      summary: "Revoke a pending invitation",
      tags: ["members"],
      params: invitationParams,
      responses: { 204: null },
      async handler({ ctx, params }) {
        await invitations.revoke(await auth.orgAccess(ctx, params.org), params.id);
        return noContent();
      },
    }),
    defineRoute({
      method: "POST",
      url: "/v1/invitations/accept",
      summary:
        "Accept an invitation: a new account sends its password; an existing account sends its own session and no password",
      tags: ["members"],
      auth: "none",
      auditAction: "invitation.accept",
      rateLimitPerMinute: AUTH_RATE_LIMIT_PER_MINUTE,
      body: acceptInvitationBody,
      responses: { 200: acceptAnswer },
      async handler({ ctx, body, request }) {
        const answer = await invitations.accept(ctx, body);
        return { status: 200, body: answer, headers: sessionCookie(request, answer.token, answer.expiresAt) };
      },
    }),
  ];
}

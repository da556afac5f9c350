/** GET /v1/orgs/:org/audit (admins and owners, `audit.read`). */
import { z } from "zod";
import type { RequestContext } from "../caller.js";
import { decimalInt } from "../http/query.js";
import { defineRoute, ok, type RouteDef } from "../http/route.js";
import { chainOf } from "./chain.js";
import { MAX_PAGE } from "./service.js";
import type { AuditLog, VerifyResult } from "./types.js";

export const verifyAnswer = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  seq: z.number().int().optional(),
  reason: z.string().optional(),
});

/**
 * The slice of the auth service these routes use; typed here, over auth's own access record `A`, because
 * audit sits below auth (docs/ARCHITECTURE.md) and imports nothing of it.
 */
export interface AuditRoutesAuth<A extends { org: { id: string } }> {
  orgAccess(ctx: RequestContext, orgSlug: string): Promise<A>;
  authorize(access: A, action: "audit.read"): Promise<void>;
}

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  orgId: z.string().nullable(),
  actor: z.object({
    type: z.enum(["user", "token", "system", "anonymous"]),
    id: z.string().nullable(),
    name: z.string().nullable(),
  }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }).nullable(),
  outcome: z.enum(["success", "denied", "failure"]),
  sourceIp: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

const params = z.object({ org: z.string().min(1).max(63) });
const query = z
  .object({
    limit: decimalInt(1, MAX_PAGE, 50),
    before: z.string().min(1).max(64).optional(),
  })
  .strict();

export function auditRoutes<A extends { org: { id: string } }>(deps: {
  audit: AuditLog;
  auth: AuditRoutesAuth<A>;
  /** Verifies the named chains with the node's audit key and anchors (composition root); no route without. */
  verify?: (chains: string[]) => Promise<VerifyResult>;
}): RouteDef[] {
  const { verify } = deps;
  return [
    ...(verify
      ? [
          defineRoute({
            method: "GET",
            url: "/v1/orgs/:org/audit/verify",
            summary: "Check the organization's audit hash chain (the console shows its state)",
            tags: ["audit"],
            params,
            responses: { 200: verifyAnswer },
            async handler({ params, ctx }) {
              const access = await deps.auth.orgAccess(ctx, params.org);
              await deps.auth.authorize(access, "audit.read");
              const result = await verify([chainOf(access.org.id)]);
              return ok(
                result.ok
                  ? { ok: true, checked: result.checked }
                  : { ok: false, checked: result.checked, seq: result.seq, reason: result.reason },
              );
            },
          }),
        ]
      : []),
    defineRoute({
      method: "GET",
      url: "/v1/orgs/:org/audit",
      summary: "List the organization's audit log, newest first",
      tags: ["audit"],
      params,
      query,
      responses: { 200: z.object({ entries: z.array(auditEntrySchema) }) },
      async handler({ params, query, ctx }) {
        const access = await deps.auth.orgAccess(ctx, params.org);
        await deps.auth.authorize(access, "audit.read");
        const entries = await deps.audit.list(access.org.id, { limit: query.limit, before: query.before });
        return ok({ entries });
      },
    }),
  ];
}

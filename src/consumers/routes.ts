/** HTTP routes of integrations and logic functions (SPEC API contract). Thin: parse, one call, answer. */

import type { z } from "zod";
import type { OrgAccess, RequestContext } from "../auth/types.js";
import { created, defineRoute, noContent, ok, type RouteDef } from "../http/route.js";
import { type FlowInput, flowInputSchema, flowListSchema, flowSchema } from "./flow-schema.js";
import {
  type ConsumerKind,
  consumerParams,
  type IntegrationInput,
  integrationInputSchema,
  integrationListSchema,
  integrationSchema,
  type LogicInput,
  logicInputSchema,
  logicListSchema,
  logicSchema,
  projectParams,
} from "./schema.js";
import type { ConsumerInput, ConsumersService, ProjectRequest } from "./service.js";
import {
  type TemplateInput,
  templateInputSchema,
  templateListSchema,
  templateSchema,
} from "./template-schema.js";

/** The slice of the auth service that turns `:org` into the caller's standing there. */
export interface OrgAuth {
  orgAccess(ctx: RequestContext, orgSlug: string): Promise<OrgAccess>;
}

/** A route's `:org` and `:project` as a service request; the service authorizes and finds the project. */
export async function projectRequest(
  auth: OrgAuth,
  ctx: RequestContext,
  params: { org: string; project: string },
): Promise<ProjectRequest> {
  return { access: await auth.orgAccess(ctx, params.org), projectSlug: params.project };
}

const base = "/v1/orgs/:org/projects/:project";

export function consumersRoutes(deps: { consumers: ConsumersService; auth: OrgAuth }): RouteDef[] {
  return [
    ...kindRoutes(deps, {
      kind: "integration",
      path: `${base}/integrations`,
      label: "integration",
      tags: ["integrations"],
      input: integrationInputSchema,
      withKind: (body: IntegrationInput): ConsumerInput => ({ ...body, kind: "integration" }),
      one: integrationSchema,
      list: integrationListSchema,
      wrap: (items) => ({ integrations: items }),
    }),
    ...kindRoutes(deps, {
      kind: "logic",
      path: `${base}/logic`,
      label: "logic function",
      tags: ["logic"],
      input: logicInputSchema,
      withKind: (body: LogicInput): ConsumerInput => ({ ...body, kind: "logic" }),
      one: logicSchema,
      list: logicListSchema,
      wrap: (items) => ({ logic: items }),
    }),
    ...kindRoutes(deps, {
      kind: "template",
      path: `${base}/templates`,
      label: "message template",
      tags: ["templates"],
      input: templateInputSchema,
      withKind: (body: TemplateInput): ConsumerInput => ({ ...body, kind: "template" }),
      one: templateSchema,
      list: templateListSchema,
      wrap: (items) => ({ templates: items }),
    }),
    ...kindRoutes(deps, {
      kind: "flow",
      path: `${base}/flows`,
      label: "flow",
      tags: ["flows"],
      input: flowInputSchema,
      withKind: (body: FlowInput): ConsumerInput => ({ ...body, kind: "flow" }),
      one: flowSchema,
      list: flowListSchema,
      wrap: (items) => ({ flows: items }),
    }),
  ];
}

function kindRoutes<I>(
  deps: { consumers: ConsumersService; auth: OrgAuth },
  k: {
    kind: ConsumerKind;
    path: string;
    label: string;
    tags: string[];
    input: z.ZodType<I>;
    withKind(body: I): ConsumerInput;
    one: z.ZodType;
    list: z.ZodType;
    wrap(items: unknown[]): unknown;
  },
): RouteDef[] {
  const { consumers, auth } = deps;
  const { kind } = k;
  return [
    defineRoute({
      method: "GET",
      url: k.path,
      summary: `List the project's ${k.label}s`,
      tags: k.tags,
      params: projectParams,
      responses: { 200: k.list },
      async handler({ params, ctx }) {
        const r = await projectRequest(auth, ctx, params);
        return ok(k.wrap(await consumers.list(r, kind)));
      },
    }),
    defineRoute({
      method: "POST",
      url: k.path,
      summary: `Create a ${k.label}`,
      tags: k.tags,
      params: projectParams,
      body: k.input,
      responses: { 201: k.one },
      async handler({ params, body, ctx }) {
        const r = await projectRequest(auth, ctx, params);
        return created(await consumers.create(r, k.withKind(body)));
      },
    }),
    defineRoute({
      method: "GET",
      url: `${k.path}/:id`,
      summary: `Read a ${k.label}`,
      tags: k.tags,
      params: consumerParams,
      responses: { 200: k.one },
      async handler({ params, ctx }) {
        const r = await projectRequest(auth, ctx, params);
        return ok(await consumers.get(r, kind, params.id));
      },
    }),
    defineRoute({
      method: "PUT",
      url: `${k.path}/:id`,
      summary: `Replace a ${k.label}`,
      tags: k.tags,
      params: consumerParams,
      body: k.input,
      responses: { 200: k.one },
      async handler({ params, body, ctx }) {
        const r = await projectRequest(auth, ctx, params);
        return ok(await consumers.update(r, params.id, k.withKind(body)));
      },
    }),
    defineRoute({
      method: "DELETE",
      url: `${k.path}/:id`,
      summary: `Delete a ${k.label} (the usage counts of its secrets drop at once)`,
      tags: k.tags,
      params: consumerParams,
      responses: { 204: null },
      async handler({ params, ctx }) {
        const r = await projectRequest(auth, ctx, params);
        await consumers.remove(r, kind, params.id);
        return noContent();
      },
    }),
  ];
}

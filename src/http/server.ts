/**
 * The Fastify instance: error shape, authentication, rate limits, metrics, health and OpenAPI. Domain
 * routes arrive as RouteDef lists; nothing here knows about secrets.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import type { Actor, RequestContext } from "../caller.js";
import { AppError } from "../errors.js";
import { createClientErrorHandler } from "./client-errors.js";
import { lazyCompilers } from "./compilers.js";
import { csrfRefusal } from "./csrf.js";
import type { DeniedRequest } from "./denials.js";
import { drainRequest } from "./drain.js";
import { errorBody, invalidRequest, toHttpError } from "./errors.js";
import { installJsonParser } from "./json-body.js";
import type { Metrics } from "./metrics.js";
import { buildOpenApi } from "./openapi.js";
import type { Readiness } from "./readiness.js";
import { type Answer, type RouteDef, SerializedBody } from "./route.js";
import { fastifyTrustProxy, type TrustProxy } from "./trust-proxy.js";

export const BODY_LIMIT = 1024 * 1024;
/** How much of a refused body is read and discarded so the client sees the 413 (see drain.ts). */
const DRAIN_LIMITS = { maxBytes: 16 * BODY_LIMIT, maxMs: 10_000 };

export interface HttpDeps {
  logger: Logger;
  routes: RouteDef[];
  metrics: Metrics;
  version: string;
  /** Resolves the caller from the Authorization header or session cookie; null when none was sent. */
  authenticate(request: FastifyRequest): Promise<Actor | null>;
  /** Records a refused request (A1: every denied request is audited). */
  recordDenied(ctx: RequestContext, request: DeniedRequest, reason: string): Promise<void>;
  /** Readiness: the database answers and the run worker is not stuck (http/readiness.ts). */
  ready(): Promise<Readiness>;
  /** A hop count or proxy addresses (http/trust-proxy.ts); never `true`. */
  trustProxy?: TrustProxy;
  /** Extra plugins (the web console). */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
}

export async function buildHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
    // Request logs carry method, route and status; never headers, query values or bodies.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    clientErrorHandler: createClientErrorHandler(deps.logger as FastifyBaseLogger),
    // ajv and fast-json-stringify only if a route ever declares a JSON schema; ours use zod.
    schemaController: { compilersFactory: lazyCompilers() },
  });
  installJsonParser(app);

  app.setErrorHandler(async (error, request, reply) => {
    const { status, body, internal } = toHttpError(error);
    if (internal) {
      const e = error as Error;
      request.log.error({ err: { type: e?.name, message: e?.message, stack: e?.stack } }, "request failed");
    }
    if (status === 413) await drainRequest(request.raw, DRAIN_LIMITS);
    return reply.status(status).type("application/json").send(body);
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send(errorBody("not_found", "no such route"));
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    deps.metrics.observeRequest(request.method, route, String(reply.statusCode), reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      "request",
    );
  });

  const limiter = createRateLimiter();

  for (const route of deps.routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const ctx: RequestContext = { actor: null, sourceIp: request.ip, requestId: String(request.id) };
        const denied: DeniedRequest = {
          action: route.auditAction ?? "request.denied",
          route: `${route.method} ${route.url}`,
        };
        if (
          route.rateLimitPerMinute &&
          !limiter.take(`${route.url}|${request.ip}`, route.rateLimitPerMinute)
        ) {
          await deps.recordDenied(ctx, denied, "rate_limited");
          throw new AppError("rate_limited", "too many requests; try again in a minute");
        }
        const refusal = csrfRefusal(request);
        if (refusal) {
          await deps.recordDenied(ctx, denied, refusal);
          throw new AppError("forbidden", "a cookie request must come from the console's own pages");
        }
        ctx.actor = await deps.authenticate(request);
        if (route.auth !== "none" && !ctx.actor) {
          await deps.recordDenied(ctx, denied, "unauthenticated");
          throw new AppError("unauthenticated", "sign in or send a valid bearer token");
        }
        const params = parse(route.params, request.params, "params");
        const query = parse(route.query, request.query, "query");
        const body = parse(route.body, request.body, "body");
        const answer = await route.handler({ params, query, body, ctx, request });
        if (answer.headers) void reply.headers(answer.headers);
        void reply.status(answer.status);
        if (answer.body === undefined) return reply.send();
        if (answer.body instanceof SerializedBody)
          return reply
            .type("application/json; charset=utf-8")
            .send(serializedBy(route, answer.status, answer.body));
        return allowlisted(route, answer);
      },
    });
  }

  // Built on first request: converting every route's zod schemas is start-up time nobody waits for.
  let openapi: Record<string, unknown> | undefined;
  app.get("/v1/openapi.json", async () => {
    openapi ??= buildOpenApi(deps.routes, { version: deps.version });
    return openapi;
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const { ready, checks } = await deps.ready();
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "unavailable", checks });
  });
  app.get("/metrics", async (_request, reply) => {
    const { contentType, text } = await deps.metrics.scrape();
    return reply.type(contentType).send(text);
  });

  for (const plugin of deps.plugins ?? []) await plugin(app);
  return app;
}

/**
 * The answer's body through the schema its route declares for that status: keys the schema does not name
 * are dropped, so a field a service adds never leaves unless a schema lets it (response schemas are an
 * allowlist). A body that does not fit is a bug: a 500, with nothing of the body in the message.
 */
function allowlisted(route: RouteDef, answer: Answer): unknown {
  const schema = route.responses[answer.status];
  const result = schema?.safeParse(answer.body);
  if (!result?.success)
    throw new Error(`${route.method} ${route.url} answered ${answer.status} with a body its schema refuses`);
  return result.data;
}

/**
 * A body its service wrote as JSON text from a schema's keys (route.ts, `SerializedBody`): sent as it is,
 * but only when it was written from the very schema the route declares for this status.
 */
function serializedBy(route: RouteDef, status: number, body: SerializedBody): string {
  if (route.responses[status] !== body.schema)
    throw new Error(`${route.method} ${route.url} answered ${status} with text of another schema`);
  return body.json;
}

function parse<T>(
  schema: import("zod").ZodType<T> | undefined,
  value: unknown,
  where: "body" | "query" | "params",
): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value ?? (where === "body" ? undefined : {}));
  if (!result.success) throw invalidRequest(where, result.error);
  return result.data;
}

/** Fixed-window counter per key; enough to slow down password guessing on one node. */
function createRateLimiter() {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(key: string, perMinute: number): boolean {
      const now = Date.now();
      if (windows.size > 10_000) {
        for (const [k, w] of windows) if (now - w.start > 60_000) windows.delete(k);
      }
      const w = windows.get(key);
      if (!w || now - w.start > 60_000) {
        windows.set(key, { start: now, count: 1 });
        return true;
      }
      w.count += 1;
      return w.count <= perMinute;
    },
  };
}

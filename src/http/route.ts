/**
 * One schema per route (zod) validates the input, types the handler and feeds the OpenAPI document.
 * Handlers stay thin: parse, call one service function, shape the answer.
 */
import type { FastifyRequest } from "fastify";
import type { z } from "zod";
import type { AuditAction } from "../audit/actions.js";
import type { RequestContext } from "../caller.js";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  ctx: RequestContext;
  /** The request as received, for its headers and protocol (cookies); the reply is the server's. */
  request: FastifyRequest;
}

/** Declared answers, status to schema (null: no body). The schema is an allowlist: the server serializes
 * every answer through it (http/server.ts), so a key it does not name never leaves. */
export type Responses = Record<number, z.ZodType | null>;

type Headers = Record<string, string>;

/**
 * A body its service already wrote as JSON text, from this schema's own keys (decision 0325: a list page
 * written by SQLite). The server sends it as it is, and only for a route that declares this very schema
 * for the status: the schema is still what decides which keys can leave.
 */
export class SerializedBody<T extends z.ZodType = z.ZodType> {
  constructor(
    readonly schema: T,
    readonly json: string,
  ) {}
}

/** One declared answer: its status and a body of its schema's type (none for null). */
type AnswerFor<S extends number, T> = T extends z.ZodType
  ? { status: S; body: z.input<T> | SerializedBody<T>; headers?: Headers }
  : { status: S; body?: undefined; headers?: Headers };

/** What a route's handler may answer: one of its declared statuses, with that status's body type. */
export type AnswerOf<R extends Responses> = { [S in keyof R & number]: AnswerFor<S, R[S]> }[keyof R & number];

/** What a handler answers, as the server sees every route: a status, an optional body and headers. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Headers;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown, R extends Responses = Responses> {
  method: Method;
  /** Fastify path syntax: /v1/orgs/:org/secrets */
  url: string;
  summary: string;
  tags: string[];
  /** "none": anonymous callers allowed (setup, login, health). Default "required". */
  auth?: "none" | "required";
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Declared answers: the handler's return type, the serializer's allowlist and the OpenAPI document. */
  responses: R;
  /** Requests per minute per source address, for routes a brute force would target. */
  rateLimitPerMinute?: number;
  /**
   * The audit action a refusal before the handler (rate limit, CSRF, no credentials) is recorded under,
   * so it shares the name of the handler's own entries (sign-in: "auth.login"). Default "request.denied".
   */
  auditAction?: AuditAction;
  handler(input: HandlerInput<P, Q, B>): Promise<AnswerOf<NoInfer<R>>>;
}

/**
 * Checks a route definition against its own schemas (the handler must answer a declared status with a
 * body of that status's schema: anything else is a compile error), then keeps it in a list of routes.
 */
export function defineRoute<P = unknown, Q = unknown, B = unknown, R extends Responses = Responses>(
  def: RouteDef<P, Q, B, R>,
): RouteDef {
  return def as unknown as RouteDef;
}

export const ok = <T>(body: T) => ({ status: 200 as const, body });
export const created = <T>(body: T) => ({ status: 201 as const, body });
export const accepted = <T>(body: T) => ({ status: 202 as const, body });
export const noContent = () => ({ status: 204 as const });

/**
 * One schema per route (zod) validates the input, types the handler and feeds the OpenAPI document.
 * Handlers stay thin: parse, call one service function, shape the answer.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { AuditAction } from "../audit/actions.js";
import type { RequestContext } from "../auth/types.js";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  ctx: RequestContext;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** What a handler answers: a status and an optional JSON body. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
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
  /** Documented answers, status to schema (null: no body). */
  responses: Record<number, z.ZodType | null>;
  /** Requests per minute per source address, for routes a brute force would target. */
  rateLimitPerMinute?: number;
  /**
   * The audit action a refusal before the handler (rate limit, CSRF, no credentials) is recorded under,
   * so it shares the name of the handler's own entries (sign-in: "auth.login"). Default "request.denied".
   */
  auditAction?: AuditAction;
  handler(input: HandlerInput<P, Q, B>): Promise<Answer>;
}

/** Keeps the generic types of a route definition while collecting it in a list. */
export function defineRoute<P = unknown, Q = unknown, B = unknown>(def: RouteDef<P, Q, B>): RouteDef {
  return def as unknown as RouteDef;
}

export const ok = (body: unknown): Answer => ({ status: 200, body });
export const created = (body: unknown): Answer => ({ status: 201, body });
export const accepted = (body: unknown): Answer => ({ status: 202, body });
export const noContent = (): Answer => ({ status: 204 });

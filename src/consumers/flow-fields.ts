/**
 * The `Str` fields of a flow step (SPEC X4), in one fixed order, so that save-time checks and the run
 * walk the same fields and a step's expressions can be evaluated as one batch and put back in place.
 */
import type { RequestFields } from "../runtime/webhook/index.js";
import type { AppStep, HttpStep, Step, Str } from "./flow-schema.js";

export interface StrField {
  /** Where the field is in the step, for messages: `request.headers.Authorization`. */
  path: string;
  value: Str;
  /** An object or array result becomes JSON here; anywhere else it fails the step. */
  body: boolean;
}

export function stepFields(step: Step): StrField[] {
  if (step.type === "http") {
    const r = step.request;
    const fields: StrField[] = [{ path: "request.url", value: r.url, body: false }];
    for (const [k, v] of Object.entries(r.headers))
      fields.push({ path: `request.headers.${k}`, value: v, body: false });
    for (const [k, v] of Object.entries(r.query))
      fields.push({ path: `request.query.${k}`, value: v, body: false });
    if (r.body !== null) fields.push({ path: "request.body", value: r.body, body: true });
    return fields;
  }
  if (step.type === "app") {
    return Object.entries(step.input).map(([k, v]) => ({ path: `input.${k}`, value: v, body: false }));
  }
  return [];
}

export const isExpression = (value: Str): value is { expr: string } => typeof value !== "string";

/** An http step's request with every field resolved, in stepFields order. */
export type ResolvedHttp = RequestFields;

export function resolvedHttp(step: HttpStep, values: readonly string[]): ResolvedHttp {
  let i = 0;
  const next = () => values[i++] as string;
  const r = step.request;
  const url = next();
  const headers: Record<string, string> = {};
  for (const k of Object.keys(r.headers)) headers[k] = next();
  const query: Record<string, string> = {};
  for (const k of Object.keys(r.query)) query[k] = next();
  const body = r.body !== null ? next() : null;
  return { method: r.method, url, headers, query, body };
}

export function resolvedInput(step: AppStep, values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  Object.keys(step.input).forEach((k, i) => {
    out[k] = values[i] as string;
  });
  return out;
}

/**
 * The view a request's templates render against: null-prototype copies of the resolved secrets and of the
 * event, so no template reaches a prototype whatever the data holds.
 */
import { RenderError } from "./errors.js";

/** Resolved secret values by name: token → string, username_password → object, json → object. */
export interface TemplateSecrets {
  [name: string]: string | { username: string; password: string } | Record<string, unknown>;
}

export interface TemplateEvent {
  id: string;
  name: string;
  data: unknown;
  publishedAt: string;
}

/** Deeper data is refused rather than copied: the copy is recursive and event data comes from users. */
const MAX_VIEW_DEPTH = 128;

function copyValue(value: unknown, field: string, depth: number): unknown {
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (value === null) return null;
  if (typeof value !== "object") return undefined;
  if (depth >= MAX_VIEW_DEPTH) {
    throw new RenderError("template_error", field, `is nested deeper than ${MAX_VIEW_DEPTH} levels`);
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = value.map((item) => copyValue(item, field, depth + 1));
    return Object.setPrototypeOf(copy, null);
  }
  const copy: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) {
    const item = copyValue((value as Record<string, unknown>)[key], field, depth + 1);
    if (item !== undefined) copy[key] = item;
  }
  return copy;
}

const secretCopies = new WeakMap<object, unknown>();

/**
 * Secrets sit both at the top level (`{{{NAME}}}`) and under `secrets` (`{{{secrets.NAME}}}`). `event` and
 * `secrets` are set last, so a secret with one of those names is only reachable as `secrets.<name>`.
 */
export function buildView(ctx: { secrets: TemplateSecrets; event: TemplateEvent }): Record<string, unknown> {
  const secrets: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(ctx.secrets)) {
    const value = ctx.secrets[name];
    if (typeof value !== "object" || value === null) {
      secrets[name] = copyValue(value, `secrets.${name}`, 0);
      continue;
    }
    // Decrypted values are cached objects, the same from run to run, and views are never written to:
    // one null-prototype copy per value serves every run.
    let copy = secretCopies.get(value);
    if (copy === undefined) {
      copy = copyValue(value, `secrets.${name}`, 0);
      secretCopies.set(value, copy);
    }
    secrets[name] = copy;
  }
  const event: Record<string, unknown> = Object.create(null);
  event.id = String(ctx.event.id);
  event.name = String(ctx.event.name);
  event.data = copyValue(ctx.event.data, "event.data", 0);
  event.publishedAt = String(ctx.event.publishedAt);
  const view: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(secrets)) view[name] = secrets[name];
  view.secrets = secrets;
  view.event = event;
  return view;
}

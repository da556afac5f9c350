/**
 * The macros of a message template (SPEC X5): `{{secrets.NAME}}`, typed parts (`{{CREDS.username}}`,
 * `{{secrets.CFG.region}}`), X2's bare `{{NAME}}`, and `{{event.*}}`. Pure functions over Mustache's
 * tokens: what a template names, what it writes that is no macro at all, and the stand-in view a preview
 * renders with, where every secret is `[[SENSITIVE]]` and nothing was ever decrypted.
 */
import { SENSITIVE } from "../../redaction/index.js";
import { hasPartial, parseTemplate, RenderError, type TemplateToken } from "../webhook/index.js";

export interface MacroProblem {
  field: string;
  message: string;
}

/** Secret names as the consumers schema takes them; a macro naming anything else is no secret macro. */
const SECRET_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const EVENT_FIELDS = new Set(["id", "name", "data", "publishedAt"]);
const SHOWN_MAX = 80;

/** A secret a macro reaches, with the path below it (`["username"]` for `{{CREDS.username}}`). */
interface SecretUse {
  name: string;
  path: string[];
}

type Macro = { kind: "event" } | { kind: "secret"; use: SecretUse } | { kind: "unknown" };

/**
 * What one tag name means at the top level of a template. Inside a section names resolve against the
 * section's value first (`{{#event.data.items}}{{sku}}{{/event.data.items}}`), so only `secrets.NAME`
 * is read there.
 */
function classify(name: string): Macro {
  const [first = "", ...rest] = name.split(".");
  if (first === "event") {
    if (rest.length === 0) return { kind: "event" };
    return EVENT_FIELDS.has(rest[0]!) && (rest[0] === "data" || rest.length === 1)
      ? { kind: "event" }
      : { kind: "unknown" };
  }
  if (first === "secrets") {
    const [secret, ...path] = rest;
    if (secret === undefined || !SECRET_NAME.test(secret) || path.includes("")) return { kind: "unknown" };
    return { kind: "secret", use: { name: secret, path } };
  }
  if (!SECRET_NAME.test(first) || rest.includes("")) return { kind: "unknown" };
  return { kind: "secret", use: { name: first, path: rest } };
}

const NAMED = new Set(["name", "&", "#", "^"]);

function walk(tokens: TemplateToken[], inSection: boolean, visit: (name: string, top: boolean) => void) {
  for (const [type, value, , , children] of tokens) {
    if (NAMED.has(type)) visit(value, !inSection);
    // An inverted section renders in the surrounding context; only a section pushes a new one.
    if (type === "#" && children) walk(children, true, visit);
    if (type === "^" && children) walk(children, inSection, visit);
  }
}

export interface MacroReport {
  /** Parse errors, partials and unknown macros, per field: each one a reason to refuse the template. */
  problems: MacroProblem[];
  /** Secret names the macros use, as written (sorted, once each). */
  secrets: string[];
  uses: SecretUse[];
}

/** Reads every string of a template once: its problems and the secrets it names. */
export function readMacros(strings: readonly { field: string; template: string }[]): MacroReport {
  const problems: MacroProblem[] = [];
  const uses: SecretUse[] = [];
  for (const { field, template } of strings) {
    let tokens: TemplateToken[];
    try {
      tokens = parseTemplate(field, template);
    } catch (error) {
      const message = error instanceof RenderError ? error.message.slice(field.length + 2) : "does not parse";
      problems.push({ field, message: `unbalanced or malformed tags: ${message}` });
      continue;
    }
    if (hasPartial(tokens)) problems.push({ field, message: "partials ({{>name}}) are not supported" });
    const unknown = new Set<string>();
    walk(tokens, false, (name, top) => {
      const macro = name.startsWith("secrets.") || top ? classify(name) : null;
      if (macro?.kind === "secret") uses.push(macro.use);
      else if (macro?.kind === "unknown") unknown.add(name);
    });
    if (unknown.size > 0) {
      const shown = [...unknown].map(
        (n) => `{{${n.length > SHOWN_MAX ? `${n.slice(0, SHOWN_MAX)}...` : n}}}`,
      );
      problems.push({
        field,
        message:
          `unknown macros ${shown.join(", ")}: use secrets.NAME (or NAME) with its parts, ` +
          "event.id, event.name, event.publishedAt or event.data.*",
      });
    }
  }
  const secrets = [...new Set(uses.map((u) => u.name))].sort();
  return { problems, secrets, uses };
}

/** The secret names a template's strings use (fields that do not parse are skipped). */
export function templateSecretNames(strings: readonly { field: string; template: string }[]): string[] {
  return readMacros(strings).secrets;
}

/**
 * The secrets a preview renders with: under every name the template writes, `[[SENSITIVE]]`, or for typed
 * parts an object whose parts are `[[SENSITIVE]]`. Built from the template alone: no value is resolved.
 */
export function previewSecrets(uses: readonly SecretUse[]): Record<string, string | Record<string, unknown>> {
  const out: Record<string, string | Record<string, unknown>> = Object.create(null);
  for (const { name, path } of uses) {
    if (path.length === 0) {
      out[name] ??= SENSITIVE;
      continue;
    }
    let node = out[name];
    if (typeof node !== "object") {
      node = Object.create(null) as Record<string, unknown>;
      out[name] = node;
    }
    let at: Record<string, unknown> = node;
    path.forEach((key, i) => {
      if (i === path.length - 1) {
        if (typeof at[key] !== "object") at[key] = SENSITIVE;
        return;
      }
      if (typeof at[key] !== "object" || at[key] === null) at[key] = Object.create(null);
      at = at[key] as Record<string, unknown>;
    });
  }
  return out;
}

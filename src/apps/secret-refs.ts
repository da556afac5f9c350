/**
 * The one expression form an installation's configuration takes (SPEC X8, decision 0255): `secrets.NAME`,
 * optionally followed by the part of a typed secret to insert (S2, as X2's `{{{CREDS.username}}}`):
 * `secrets.CREDS.password` of a username and password, `secrets.CFG.region` or `secrets.CFG["api-key"]` of
 * a JSON secret. A whole-expression grammar, not a search: a call, a template or a concatenation does not
 * match, so an installation inserts a value (or one part of it) as it is and never computes with it.
 */
import type { SecretType, SecretValue } from "../secrets/types.js";

export interface SecretRef {
  name: string;
  /** The part of a typed secret: [] for the whole value (a token). */
  path: string[];
}

const HEAD = /^\s*secrets\s*/;
/** `.key`, `["key"]` or `['key']`, with spaces around the parts. */
const PART = /^(?:\.\s*([A-Za-z_$][A-Za-z0-9_$]*)|\[\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*\])\s*/;
/** Names and keys reach messages: only characters a name may have (`$` is an identifier's, no name's). */
const KEY = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_DEPTH = 8;

/** The secret and part an expression names, or null when it is anything else. */
export function secretRef(expr: string): SecretRef | null {
  const head = HEAD.exec(expr);
  if (!head) return null;
  let rest = expr.slice(head[0].length);
  const keys: string[] = [];
  while (rest !== "" && keys.length <= MAX_DEPTH) {
    const m = PART.exec(rest);
    const key = m ? (m[1] ?? m[2] ?? m[3] ?? "") : "";
    if (!m || !KEY.test(key)) return null;
    keys.push(key);
    rest = rest.slice(m[0].length);
  }
  const [name, ...path] = keys;
  if (rest !== "" || name === undefined) return null;
  return { name, path };
}

/** `secrets.NAME.part`, as messages name a reference. */
export const refText = (ref: SecretRef): string => ["secrets", ref.name, ...ref.path].join(".");

/**
 * Why a reference cannot give a string for a secret of `type`, or null: a token is used whole, a username
 * and password by `.username` or `.password`, a JSON secret by a path to one of its values (the keys are
 * inside the value: its run checks that the path ends at a string).
 */
export function partProblem(ref: SecretRef, type: SecretType): string | null {
  if (type === "token") {
    return ref.path.length === 0 ? null : `${ref.name} is a token: use it whole (secrets.${ref.name})`;
  }
  if (type === "username_password") {
    const ok = ref.path.length === 1 && (ref.path[0] === "username" || ref.path[0] === "password");
    return ok
      ? null
      : `${ref.name} is a username and password: use secrets.${ref.name}.username or .password`;
  }
  return ref.path.length > 0
    ? null
    : `${ref.name} is a JSON secret: name one of its values (secrets.${ref.name}.key)`;
}

/** The string a reference names in a resolved value, or undefined when it names no string. */
export function valueAt(value: SecretValue, path: readonly string[]): string | undefined {
  let at: unknown = value;
  for (const key of path) {
    if (at === null || typeof at !== "object" || Array.isArray(at) || !Object.hasOwn(at, key))
      return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === "string" ? at : undefined;
}

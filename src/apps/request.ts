/**
 * An action's request description (types.ts `ActionRequest`) as the webhook client sends it, and the
 * answer as the action sees it. Pure: the base URL and every value are handed in resolved.
 */
import { RunError } from "../errors.js";
import type { RenderedRequest } from "../runtime/webhook/index.js";
import type { ActionRequest } from "./types.js";

/** Why a base URL (an installation's `baseUrl`, a `base_url` field) can never be used, or null. */
export function baseUrlProblem(text: string): string | null {
  if (!URL.canParse(text)) return "is not an absolute URL";
  const url = new URL(text);
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http or https URL";
  if (url.username !== "" || url.password !== "") return "must not carry a user name or password";
  if (url.search !== "" || url.hash !== "") return "must not have a query or fragment";
  return null;
}

const LINE_BREAK = /[\r\n\0]/;

/**
 * The request for `base` + the action's path: the path stays under the base's origin, auth becomes its
 * header, the body is serialized with its content type. Failures are the run's (`invalid_url`,
 * `header_injection`), with messages that name fields, never values.
 */
export function buildRequest(base: string, action: ActionRequest): RenderedRequest {
  const problem = baseUrlProblem(base);
  if (problem !== null) throw new RunError("invalid_url", `the installation's base URL ${problem}`);
  const root = new URL(base);
  if (!action.path.startsWith("/")) throw new RunError("invalid_url", "the action's path must start with /");
  const url = new URL(root.origin + root.pathname.replace(/\/+$/, "") + action.path);
  if (url.origin !== root.origin) throw new RunError("invalid_url", "the action's path leaves the base URL");
  for (const [name, value] of Object.entries(action.query ?? {})) url.searchParams.append(name, value);

  const headers: Record<string, string> = { Accept: "application/json", ...action.headers };
  if (action.auth && "bearer" in action.auth) headers.Authorization = `Bearer ${action.auth.bearer}`;
  if (action.auth && "basic" in action.auth) {
    const { username, password } = action.auth.basic;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
  }
  let body: string | null = null;
  if (action.body && "json" in action.body) {
    body = JSON.stringify(action.body.json);
    headers["Content-Type"] = "application/json; charset=utf-8";
  } else if (action.body && "form" in action.body) {
    body = new URLSearchParams(action.body.form).toString();
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  } else if (action.body && "text" in action.body) {
    body = action.body.text;
    headers["Content-Type"] = action.body.contentType;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (LINE_BREAK.test(value)) {
      throw new RunError("header_injection", `header ${name} would contain a line break`);
    }
  }
  return { method: action.method.toUpperCase(), url: url.href, headers, body };
}

/** A response body as an action sees it: parsed when it is JSON, else the text. */
export function parseBody(headers: Record<string, string>, text: string): unknown {
  const type = headers["content-type"] ?? "";
  const looksJson = /json/i.test(type) || /^\s*[[{]/.test(text);
  if (!looksJson || text === "") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * An integration's request template (X2): its fields, rendering them into the request to send, and checking
 * them when saved. The safe Mustache is in mustache.ts, the view it renders against in view.ts.
 */
import { RenderError } from "./errors.js";
import { HEADER_NAME, RESERVED_HEADERS } from "./headers.js";
import {
  asIs,
  jsonStringEscape,
  MAX_RENDER_STEPS,
  MAX_RENDERED_CHARS,
  parse,
  parseRaw,
  percentEncode,
  type RenderContext,
  render,
  type Token,
  ViewContext,
} from "./mustache.js";
import { buildView, type TemplateEvent, type TemplateSecrets } from "./view.js";

export { MAX_RENDER_STEPS, MAX_RENDERED_CHARS, templateCacheSize } from "./mustache.js";
export type { TemplateEvent, TemplateSecrets } from "./view.js";

/** An HTTP request's fields before the query is joined to the URL: an integration's (X2), a flow step's (X4). */
export interface RequestFields {
  method: string;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: string | null;
}

/** An integration's request as saved (SPEC X2); every string but the header and query names is a template. */
export interface WebhookRequestTemplate extends RequestFields {
  basicAuth: { username: string; password: string } | null;
}

/** The request to send. The query is already part of `url`; basic auth is already an Authorization header. */
export interface RenderedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export const ALLOWED_METHODS: readonly string[] = [
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
];

const LINE_BREAK_OR_NUL = /[\r\n\0]/;
// What undici (and Node's http) accept in a header value; anything else would fail at send time.
const INVALID_HEADER_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

// ---------------------------------------------------------------------------------------------------------
// Fields

interface TemplateField {
  field: string;
  template: string;
}

function templateFields(t: WebhookRequestTemplate): TemplateField[] {
  const fields: TemplateField[] = [
    { field: "request.method", template: t.method },
    { field: "request.url", template: t.url },
  ];
  for (const [name, template] of Object.entries(t.headers)) {
    fields.push({ field: `request.headers.${name}`, template });
  }
  for (const [name, template] of Object.entries(t.query)) {
    fields.push({ field: `request.query.${name}`, template });
  }
  if (t.body !== null) fields.push({ field: "request.body", template: t.body });
  if (t.basicAuth !== null) {
    fields.push({ field: "request.basicAuth.username", template: t.basicAuth.username });
    fields.push({ field: "request.basicAuth.password", template: t.basicAuth.password });
  }
  return fields;
}

interface HeaderNameProblem {
  field: string;
  code: RenderError["code"];
  message: string;
}

/** The problems with header names, which are literal: each one would fail every run. */
function headerNameProblems(headers: Record<string, string>): HeaderNameProblem[] {
  const problems: HeaderNameProblem[] = [];
  const seen = new Set<string>();
  for (const name of Object.keys(headers)) {
    const field = `request.headers.${JSON.stringify(name).slice(1, -1)}`;
    const lower = name.toLowerCase();
    if (LINE_BREAK_OR_NUL.test(name)) {
      problems.push({ field, code: "header_injection", message: "the name contains a line break or NUL" });
    } else if (!HEADER_NAME.test(name)) {
      problems.push({ field, code: "template_error", message: "is not a valid header name" });
    } else if (RESERVED_HEADERS.has(lower)) {
      problems.push({ field, code: "template_error", message: "is set by Cloakroom itself" });
    } else if (seen.has(lower)) {
      problems.push({ field, code: "template_error", message: "is given twice (names ignore case)" });
    }
    seen.add(lower);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Public API

/** A parsed template: Mustache's tokens (type, value, start, end, children of a section). */
export type TemplateToken = Token;

/**
 * Parses one template through the bounded cache, for checks other consumer kinds make at save (message
 * templates' macros). Throws `RenderError` naming `field` with Mustache's message (a position or a section
 * name, never view data).
 */
export function parseTemplate(field: string, template: string): TemplateToken[] {
  return parse(field, template);
}

/** Whether any token, at any depth, is a partial (`{{>name}}`), which no template may use. */
export function hasPartial(tokens: TemplateToken[]): boolean {
  return containsPartial(tokens);
}

/**
 * Renders plain-text fields (a message's subject and body, an address): `{{x}}` and `{{{x}}}` both insert
 * as is. One view and one budget serve all the fields, as for a webhook request. Throws `RenderError`.
 */
export function renderTextFields<K extends string>(
  fields: Record<K, string>,
  ctx: { secrets: TemplateSecrets; event: TemplateEvent },
): Record<K, string> {
  const context: RenderContext = {
    view: new ViewContext(buildView(ctx)),
    budget: { field: "", steps: MAX_RENDER_STEPS, chars: MAX_RENDERED_CHARS },
  };
  const out = {} as Record<K, string>;
  for (const field of Object.keys(fields) as K[]) out[field] = render(field, fields[field], context, asIs);
  return out;
}

/**
 * Renders an integration's request for one event. Each field escapes `{{x}}` its own way (percent-encoding
 * in the URL, JSON string escaping in a JSON body, nothing elsewhere); `{{{x}}}` always inserts as is.
 * Throws `RenderError` ("template_error", "header_injection"); its message names the field, never a value.
 *
 * The view holds exactly `ctx.secrets`: the caller passes only the secrets the consumer declares.
 */
export function renderWebhookRequest(
  t: WebhookRequestTemplate,
  ctx: { secrets: TemplateSecrets; event: TemplateEvent },
): RenderedRequest {
  const context: RenderContext = {
    view: new ViewContext(buildView(ctx)),
    budget: { field: "", steps: MAX_RENDER_STEPS, chars: MAX_RENDERED_CHARS },
  };

  const method = render("request.method", t.method, context, asIs).trim().toUpperCase();
  if (!ALLOWED_METHODS.includes(method)) {
    throw new RenderError("template_error", "request.method", `must be one of ${ALLOWED_METHODS.join(", ")}`);
  }

  const { url, userinfo } = renderUrl(t, context);

  const [nameProblem] = headerNameProblems(t.headers);
  if (nameProblem) throw new RenderError(nameProblem.code, nameProblem.field, nameProblem.message);
  const headers = new Map<string, [name: string, value: string]>();
  for (const [name, template] of Object.entries(t.headers)) {
    const field = `request.headers.${name}`;
    const value = render(field, template, context, asIs);
    if (LINE_BREAK_OR_NUL.test(value)) {
      throw new RenderError("header_injection", field, "the rendered value contains a line break or NUL");
    }
    if (INVALID_HEADER_VALUE_CHAR.test(value)) {
      throw new RenderError(
        "template_error",
        field,
        "the rendered value has characters a header cannot carry",
      );
    }
    headers.set(name.toLowerCase(), [name, value]);
  }

  // basicAuth wins over credentials in the URL, which win over a hand-written Authorization header.
  const credentials =
    t.basicAuth !== null
      ? {
          username: render("request.basicAuth.username", t.basicAuth.username, context, asIs),
          password: render("request.basicAuth.password", t.basicAuth.password, context, asIs),
        }
      : userinfo;
  if (credentials) {
    const token = Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64");
    headers.set("authorization", ["Authorization", `Basic ${token}`]);
  }

  let body: string | null = null;
  if (t.body !== null) {
    const json = isJsonBody(parse("request.body", t.body));
    body = render("request.body", t.body, context, json ? jsonStringEscape : asIs);
    if (body !== "" && !headers.has("content-type")) {
      headers.set("content-type", ["Content-Type", json ? "application/json" : "text/plain; charset=utf-8"]);
    }
  }

  // fromEntries defines own properties, so a header named __proto__ stays a header.
  return { method, url, headers: Object.fromEntries(headers.values()), body };
}

function renderUrl(
  t: WebhookRequestTemplate,
  context: RenderContext,
): { url: string; userinfo: { username: string; password: string } | null } {
  const rendered = render("request.url", t.url, context, percentEncode).trim();
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new RenderError("template_error", "request.url", "does not render to a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RenderError("template_error", "request.url", "must be an http or https URL");
  }
  let userinfo: { username: string; password: string } | null = null;
  if (url.username !== "" || url.password !== "") {
    userinfo = { username: percentDecode(url.username), password: percentDecode(url.password) };
    url.username = "";
    url.password = "";
  }
  url.hash = "";

  // Query values are values, not URL text: both {{x}} and {{{x}}} give the value, which is encoded once,
  // here, as a whole. Appending to `search` keeps the URL template's own query exactly as written.
  const query = Object.entries(t.query).map(([name, template]): [string, string] => [
    name,
    render(`request.query.${name}`, template, context, asIs),
  ]);
  if (query.length > 0) {
    const encoded = new URLSearchParams(query).toString();
    const existing = url.search.slice(1);
    url.search = existing === "" ? encoded : `${existing}&${encoded}`;
  }
  return { url: url.href, userinfo };
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** JSON if the first non-blank literal character is `{` or `[` (tags do not count: `{{x}}` is no object). */
function isJsonBody(tokens: Token[]): boolean {
  const first = firstLiteralChar(tokens);
  return first === "{" || first === "[";
}

function firstLiteralChar(tokens: Token[]): string | undefined {
  for (const [type, value, , , children] of tokens) {
    if (type === "text") {
      const found = value.trimStart()[0];
      if (found !== undefined) return found;
    } else if ((type === "#" || type === "^") && children) {
      const found = firstLiteralChar(children);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Names of the secrets a template set refers to: `{{{NAME}}}`, `{{{secrets.NAME}}}`, `{{{CREDS.username}}}`
 * (CREDS), `{{#NAME}}` sections. Inside a section, bare names resolve against the section's value first
 * (`{{#CREDS}}{{username}}{{/CREDS}}`), so only `secrets.NAME` counts there. Fields that do not parse are
 * skipped; `validateTemplates` reports them.
 */
export function referencedSecretNames(t: WebhookRequestTemplate): string[] {
  const names = new Set<string>();
  const visit = (tokens: Token[], inSection: boolean): void => {
    for (const [type, value, , , children] of tokens) {
      if (type === "name" || type === "&" || type === "#" || type === "^") {
        const [first, second] = value.split(".");
        if (first === "secrets") {
          if (second) names.add(second);
        } else if (first && first !== "event" && !inSection) {
          names.add(first);
        }
      }
      // An inverted section renders in the surrounding context; only a section pushes a new one.
      if (type === "#" && children) visit(children, true);
      if (type === "^" && children) visit(children, inSection);
    }
  };
  for (const { field, template } of templateFields(t)) {
    let tokens: Token[];
    try {
      tokens = parse(field, template);
    } catch {
      continue;
    }
    visit(tokens, false);
  }
  return [...names].sort();
}

/** Parse-checks every template and header name; one entry per problem, `message` without the field. */
export function validateTemplates(t: WebhookRequestTemplate): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  for (const { field, template } of templateFields(t)) {
    let tokens: Token[];
    try {
      tokens = parseRaw(template);
    } catch (err) {
      problems.push({ field, message: err instanceof Error ? err.message : "does not parse" });
      continue;
    }
    if (containsPartial(tokens)) problems.push({ field, message: "partials ({{>name}}) are not supported" });
  }
  for (const { field, message } of headerNameProblems(t.headers)) problems.push({ field, message });
  return problems;
}

function containsPartial(tokens: Token[]): boolean {
  return tokens.some(
    ([type, , , , children]) => type === ">" || (children ? containsPartial(children) : false),
  );
}

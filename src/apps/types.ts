/**
 * The declarative format of an app of the catalog (SPEC X8): its configuration fields, its actions, and for
 * each action a pure function from the installation's configuration and the action's input to a request.
 * An app is one module of `catalog/`; nothing in it does I/O, resolves a secret or sees the network: the
 * actions runner (actions.ts) hands it plain strings and sends what it describes through the webhook
 * delivery path (SSRF guard, no redirects, timeout) after the S12 destination check.
 */

/** A configuration field of an installation. A `secret` field takes only `{"expr": "secrets.NAME"}`. */
export interface AppField {
  key: string;
  label: string;
  secret: boolean;
  required: boolean;
  /** Checked on the literal at save time (secret fields have none): e.g. a subdomain that forms a host. */
  pattern?: { regex: RegExp; message: string };
  /** The value is a base URL: checked at save like an installation's `baseUrl` (scheme, private hosts). */
  url?: boolean;
}

/** A field of an action's input: always a string. */
export interface ActionInputField {
  key: string;
  label: string;
  required: boolean;
  /** The value must be one of these (e.g. an HTTP method). */
  oneOf?: readonly string[];
  pattern?: { regex: RegExp; message: string };
}

/** What an action sends, before the runner turns it into a request (actions/request.ts). */
export interface ActionRequest {
  method: string;
  /**
   * Appended to the installation's base URL; must start with `/`. Build it with `path` below so that
   * configuration and input values are percent-encoded as path segments.
   */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  auth?: { bearer: string } | { basic: { username: string; password: string } };
  /** `json` is serialized, `form` URL-encoded; `text` is sent as written. */
  body?: { json: unknown } | { form: Record<string, string> } | { text: string; contentType: string };
}

/** The answer as an action's `result` sees it: the body parsed when it is JSON, else the text. */
export interface ActionResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface AppAction {
  id: string;
  name: string;
  input: readonly ActionInputField[];
  request(args: {
    config: Readonly<Record<string, string>>;
    input: Readonly<Record<string, string>>;
  }): ActionRequest;
  /**
   * The action's output from a 2xx answer (default: the parsed body). Throws `ActionFailed` when the
   * service reports a failure inside a 2xx answer (Slack's `{"ok": false}`).
   */
  result?(response: ActionResponse): unknown;
}

export interface AppDefinition {
  id: string;
  name: string;
  fields: readonly AppField[];
  /** The API base when the installation sets no `baseUrl` (`null`: a base is then required). */
  defaultBaseUrl(config: Readonly<Record<string, string>>): string | null;
  actions: readonly AppAction[];
}

/** A failure an app reports in its own words; `message` is built from the service's error code, not a value. */
export class ActionFailed extends Error {
  override readonly name = "ActionFailed";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A configuration field, required unless said otherwise; a plain field takes a literal. */
export const field = (key: string, label: string, more: Partial<AppField> = {}): AppField => ({
  key,
  label,
  secret: false,
  required: true,
  ...more,
});

/** A field that takes only `secrets.NAME` (or a part of a typed secret). */
export const secretField = (key: string, label: string, required = true): AppField =>
  field(key, label, { secret: true, required });

/** An action's input field, required unless said otherwise. */
export const inputField = (
  key: string,
  label: string,
  more: Partial<ActionInputField> = {},
): ActionInputField => ({
  key,
  label,
  required: true,
  ...more,
});

/** Keeps the literal types of a definition while checking it against the format. */
export const defineApp = (app: AppDefinition): AppDefinition => app;

/**
 * A tagged template for request paths: every interpolated value is percent-encoded as one path segment,
 * so a configuration value (an account id) can never add a segment, a query or a fragment.
 */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += encodeURIComponent(value) + (strings[i + 1] ?? "");
  });
  return out;
}

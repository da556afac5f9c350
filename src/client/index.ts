/**
 * The typed client of Cloakroom's HTTP API v1 (SPEC I4), used by the CLI and the console. It has no
 * dependency on the server code: it speaks the contract in SPEC.md and nothing else.
 *
 *   const client = createClient({ baseUrl: "http://127.0.0.1:8787", token });
 *   await client.secrets.create({ org: "acme" }, { name: "API_KEY", type: "token", value });
 */

import { type AppsApi, appsApi } from "./apps.js";
import { type FlowsApi, flowsApi } from "./flows.js";
import { type TemplatesApi, templatesApi } from "./templates.js";
import type {
  AcceptedInvitation,
  AcceptInvitationInput,
  ApiToken,
  AuditEntry,
  AuditQuery,
  AuditVerifyResult,
  CreatedInvitation,
  CreatedToken,
  CreateOrgInput,
  CreateProjectInput,
  CreateSecretInput,
  CreateTokenInput,
  ErrorBody,
  Integration,
  IntegrationInput,
  Invitation,
  InviteMemberInput,
  LogicFunction,
  LogicFunctionInput,
  LoginInput,
  LoginResult,
  LogsQuery,
  Me,
  Member,
  Org,
  OrgSettings,
  PatchSecretInput,
  Project,
  ProjectScope,
  PublishEventInput,
  PublishedEvent,
  RevealedSecret,
  Role,
  RunInput,
  RunLogEntry,
  Scope,
  SecretListQuery,
  SecretMetadata,
  SecretPage,
  SecretVersion,
  SetupInput,
  SetupResult,
  SetupState,
  UpdateSecretValueInput,
  UpdateSettingsInput,
} from "./types.js";

export type * from "./apps.js";
export type * from "./flows.js";
export type { TemplatesApi } from "./templates.js";
export type * from "./types.js";

/** The server answered with an error (SPEC "Bad input"). The message never contains a value. */
export class CloakroomApiError extends Error {
  override readonly name = "CloakroomApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The server could not be reached, or answered something that is not Cloakroom's API. */
export class CloakroomNetworkError extends Error {
  override readonly name = "CloakroomNetworkError";
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8787` (a trailing slash or `/v1` is fine). */
  baseUrl: string;
  /** API token or session token, sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Defaults to the global fetch (Node 20+, browsers). */
  fetch?: typeof fetch;
  /** Extra headers on every request (e.g. a User-Agent). */
  headers?: Record<string, string>;
  /** Gives up on a request after this long (a CloakroomNetworkError); no limit by default. */
  timeoutMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

export interface CloakroomClient extends AppsApi {
  readonly baseUrl: string;
  readonly token: string | undefined;
  /** A client for the same server with another token. */
  withToken(token: string | undefined): CloakroomClient;
  /** A raw JSON request against the API; `path` starts with `/v1/`. Errors throw like the typed methods. */
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;

  setup(input: SetupInput): Promise<SetupResult>;
  /** Whether first-run setup has happened; needs no session. */
  setupState(): Promise<SetupState>;
  login(input: LoginInput): Promise<LoginResult>;
  /** Ends the session or token of this client on the server. */
  logout(): Promise<void>;
  me(): Promise<Me>;

  orgs: {
    list(): Promise<Org[]>;
    create(input: CreateOrgInput): Promise<Org>;
  };
  members: {
    list(org: string): Promise<Member[]>;
    /** Invites a person: the answer holds the one-time invite token (and link), shown once. */
    invite(org: string, input: InviteMemberInput): Promise<CreatedInvitation>;
    update(org: string, userId: string, input: { role: Role }): Promise<Member>;
    remove(org: string, userId: string): Promise<void>;
  };
  invitations: {
    /** Pending invitations, never their tokens. */
    list(org: string): Promise<Invitation[]>;
    revoke(org: string, id: string): Promise<void>;
    /**
     * Joins the organization: a new account passes its password; an existing account uses a client signed
     * in as itself (withToken) and no password. The answer is a new session.
     */
    accept(input: AcceptInvitationInput): Promise<AcceptedInvitation>;
  };
  tokens: {
    list(org: string): Promise<ApiToken[]>;
    create(org: string, input: CreateTokenInput): Promise<CreatedToken>;
    delete(org: string, id: string): Promise<void>;
  };
  settings: {
    get(org: string): Promise<OrgSettings>;
    update(org: string, input: UpdateSettingsInput): Promise<OrgSettings>;
  };
  projects: {
    list(org: string): Promise<Project[]>;
    create(org: string, input: CreateProjectInput): Promise<Project>;
  };
  secrets: {
    /** Every secret of the scope, in name order: reads page after page. */
    list(scope: Scope, options?: { archived?: boolean; q?: string }): Promise<SecretMetadata[]>;
    /** One page (`limit` 1-1000, default 500); pass `nextCursor` back as `cursor`; null on the last page. */
    page(scope: Scope, options?: SecretListQuery): Promise<SecretPage>;
    create(scope: Scope, input: CreateSecretInput): Promise<SecretMetadata>;
    get(scope: Scope, name: string): Promise<SecretMetadata>;
    updateValue(scope: Scope, name: string, input: UpdateSecretValueInput): Promise<SecretMetadata>;
    patch(scope: Scope, name: string, input: PatchSecretInput): Promise<SecretMetadata>;
    delete(scope: Scope, name: string): Promise<void>;
    archive(scope: Scope, name: string): Promise<SecretMetadata>;
    restore(scope: Scope, name: string): Promise<SecretMetadata>;
    /** Masked secrets only, owners and admins; every reveal is audited. */
    reveal(scope: Scope, name: string): Promise<RevealedSecret>;
    versions(scope: Scope, name: string): Promise<SecretVersion[]>;
    rollback(scope: Scope, name: string, input: { version: number }): Promise<SecretMetadata>;
  };
  integrations: {
    list(scope: ProjectScope): Promise<Integration[]>;
    get(scope: ProjectScope, id: string): Promise<Integration>;
    create(scope: ProjectScope, input: IntegrationInput): Promise<Integration>;
    update(scope: ProjectScope, id: string, input: IntegrationInput): Promise<Integration>;
    delete(scope: ProjectScope, id: string): Promise<void>;
    test(scope: ProjectScope, id: string, input?: RunInput): Promise<RunLogEntry>;
  };
  flows: FlowsApi;
  logic: {
    list(scope: ProjectScope): Promise<LogicFunction[]>;
    get(scope: ProjectScope, id: string): Promise<LogicFunction>;
    create(scope: ProjectScope, input: LogicFunctionInput): Promise<LogicFunction>;
    update(scope: ProjectScope, id: string, input: LogicFunctionInput): Promise<LogicFunction>;
    delete(scope: ProjectScope, id: string): Promise<void>;
    run(scope: ProjectScope, id: string, input?: RunInput): Promise<RunLogEntry>;
  };
  /** Message templates and the Macro Manager (SPEC X5). */
  templates: TemplatesApi;
  events: {
    publish(scope: ProjectScope, input: PublishEventInput): Promise<PublishedEvent>;
  };
  logs: {
    list(scope: ProjectScope, query?: LogsQuery): Promise<RunLogEntry[]>;
  };
  audit: {
    list(org: string, query?: AuditQuery): Promise<AuditEntry[]>;
    /** Checks the organization's hash chain: edited, removed or reordered entries make `ok` false. */
    verify(org: string): Promise<AuditVerifyResult>;
  };
}

const seg = encodeURIComponent;

export function scopePath(scope: Scope): string {
  const org = `/v1/orgs/${seg(scope.org)}`;
  return scope.project === undefined ? org : `${org}/projects/${seg(scope.project)}`;
}

function projectPath(scope: ProjectScope): string {
  return `/v1/orgs/${seg(scope.org)}/projects/${seg(scope.project)}`;
}

/** Lists are answered either as an array or wrapped in one property (`{secrets: [...]}`); accept both. */
function unwrapList<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === "object") {
    const inner = (body as Record<string, unknown>)[key];
    if (Array.isArray(inner)) return inner as T[];
  }
  throw new CloakroomNetworkError(`unexpected answer: expected a list of ${key}`, "");
}

export function createClient(options: ClientOptions): CloakroomClient {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== "function") throw new Error("no fetch implementation: pass options.fetch");
  const token = options.token || undefined;

  async function request<T>(method: string, path: string, req: RequestOptions = {}): Promise<T> {
    const url = new URL(baseUrl + path);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers["content-type"] = "application/json";
    }
    let res: Response;
    const timeout = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined;
    const signal = timeout && req.signal ? anySignal([timeout, req.signal]) : (timeout ?? req.signal ?? null);
    try {
      res = await doFetch(url, { method, headers, body, signal });
    } catch (error) {
      const why = timeout?.aborted ? `no answer within ${options.timeoutMs} ms` : describeFetchError(error);
      throw new CloakroomNetworkError(`cannot reach ${baseUrl}: ${why}`, url.href, { cause: error });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw new CloakroomNetworkError(
        `the connection to ${baseUrl} broke: ${describeFetchError(error)}`,
        url.href,
        { cause: error },
      );
    }
    let parsed: unknown;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) throw toApiError(res.status, parsed);
    if (text !== "" && parsed === undefined) {
      throw new CloakroomNetworkError(
        `${baseUrl} answered ${res.status} with something that is not JSON; is it a Cloakroom server?`,
        url.href,
      );
    }
    return parsed as T;
  }

  const sec = (scope: Scope, name: string) => `${scopePath(scope)}/secrets/${seg(name)}`;
  const integ = (scope: ProjectScope, id?: string) =>
    `${projectPath(scope)}/integrations${id === undefined ? "" : `/${seg(id)}`}`;
  const logic = (scope: ProjectScope, id?: string) =>
    `${projectPath(scope)}/logic${id === undefined ? "" : `/${seg(id)}`}`;
  const org = (slug: string) => `/v1/orgs/${seg(slug)}`;

  return {
    ...appsApi(request, projectPath),
    baseUrl,
    token,
    withToken: (next) => createClient({ ...options, token: next }),
    request,

    setup: (input) => request("POST", "/v1/setup", { body: input }),
    setupState: () => request("GET", "/v1/setup"),
    login: (input) => request("POST", "/v1/auth/login", { body: input }),
    logout: async () => {
      await request("POST", "/v1/auth/logout");
    },
    me: () => request("GET", "/v1/me"),

    orgs: {
      list: async () => unwrapList<Org>(await request("GET", "/v1/orgs"), "orgs"),
      create: (input) => request("POST", "/v1/orgs", { body: input }),
    },
    members: {
      list: async (o) => unwrapList<Member>(await request("GET", `${org(o)}/members`), "members"),
      invite: (o, input) => request("POST", `${org(o)}/members`, { body: input }),
      update: (o, userId, input) => request("PATCH", `${org(o)}/members/${seg(userId)}`, { body: input }),
      remove: async (o, userId) => {
        await request("DELETE", `${org(o)}/members/${seg(userId)}`);
      },
    },
    invitations: {
      list: async (o) => unwrapList<Invitation>(await request("GET", `${org(o)}/invitations`), "invitations"),
      revoke: async (o, id) => {
        await request("DELETE", `${org(o)}/invitations/${seg(id)}`);
      },
      accept: (input) => request("POST", "/v1/invitations/accept", { body: input }),
    },
    tokens: {
      list: async (o) => unwrapList<ApiToken>(await request("GET", `${org(o)}/tokens`), "tokens"),
      create: (o, input) => request("POST", `${org(o)}/tokens`, { body: input }),
      delete: async (o, id) => {
        await request("DELETE", `${org(o)}/tokens/${seg(id)}`);
      },
    },
    settings: {
      get: (o) => request("GET", `${org(o)}/settings`),
      update: (o, input) => request("PATCH", `${org(o)}/settings`, { body: input }),
    },
    projects: {
      list: async (o) => unwrapList<Project>(await request("GET", `${org(o)}/projects`), "projects"),
      create: (o, input) => request("POST", `${org(o)}/projects`, { body: input }),
    },
    secrets: {
      page: (scope, opts = {}) =>
        request("GET", `${scopePath(scope)}/secrets`, {
          query: {
            archived: opts.archived === undefined ? undefined : String(opts.archived),
            q: opts.q,
            limit: opts.limit,
            cursor: opts.cursor,
          },
        }),
      list: async (scope, opts = {}) => {
        const all: SecretMetadata[] = [];
        let cursor: string | undefined;
        do {
          const page: SecretPage = await request("GET", `${scopePath(scope)}/secrets`, {
            query: {
              archived: opts.archived === undefined ? undefined : String(opts.archived),
              q: opts.q,
              limit: 1000,
              cursor,
            },
          });
          all.push(...unwrapList<SecretMetadata>(page, "secrets"));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        return all;
      },
      create: (scope, input) => request("POST", `${scopePath(scope)}/secrets`, { body: input }),
      get: (scope, name) => request("GET", sec(scope, name)),
      updateValue: (scope, name, input) => request("PUT", `${sec(scope, name)}/value`, { body: input }),
      patch: (scope, name, input) => request("PATCH", sec(scope, name), { body: input }),
      delete: async (scope, name) => {
        await request("DELETE", sec(scope, name));
      },
      archive: (scope, name) => request("POST", `${sec(scope, name)}/archive`),
      restore: (scope, name) => request("POST", `${sec(scope, name)}/restore`),
      reveal: (scope, name) => request("POST", `${sec(scope, name)}/reveal`),
      versions: async (scope, name) =>
        unwrapList<SecretVersion>(await request("GET", `${sec(scope, name)}/versions`), "versions"),
      rollback: (scope, name, input) => request("POST", `${sec(scope, name)}/rollback`, { body: input }),
    },
    integrations: {
      list: async (scope) => unwrapList<Integration>(await request("GET", integ(scope)), "integrations"),
      get: (scope, id) => request("GET", integ(scope, id)),
      create: (scope, input) => request("POST", integ(scope), { body: input }),
      update: (scope, id, input) => request("PUT", integ(scope, id), { body: input }),
      delete: async (scope, id) => {
        await request("DELETE", integ(scope, id));
      },
      test: (scope, id, input = {}) => request("POST", `${integ(scope, id)}/test`, { body: input }),
    },
    logic: {
      list: async (scope) => unwrapList<LogicFunction>(await request("GET", logic(scope)), "logic"),
      get: (scope, id) => request("GET", logic(scope, id)),
      create: (scope, input) => request("POST", logic(scope), { body: input }),
      update: (scope, id, input) => request("PUT", logic(scope, id), { body: input }),
      delete: async (scope, id) => {
        await request("DELETE", logic(scope, id));
      },
      run: (scope, id, input = {}) => request("POST", `${logic(scope, id)}/run`, { body: input }),
    },
    templates: templatesApi(request, projectPath),
    flows: flowsApi(request, projectPath, unwrapList),
    events: {
      publish: (scope, input) => request("POST", `${projectPath(scope)}/events`, { body: input }),
    },
    logs: {
      list: async (scope, query = {}) =>
        unwrapList<RunLogEntry>(
          await request("GET", `${projectPath(scope)}/logs`, { query: { ...query } }),
          "entries",
        ),
    },
    audit: {
      list: async (o, query = {}) =>
        unwrapList<AuditEntry>(await request("GET", `${org(o)}/audit`, { query: { ...query } }), "entries"),
      verify: (o) => request("GET", `${org(o)}/audit/verify`),
    },
  };
}

function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    // In a browser (the console) a relative base such as "" or "/" means the page's own server.
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    url = page ? new URL(raw, page) : new URL(raw);
  } catch {
    throw new CloakroomNetworkError(`not a URL: ${JSON.stringify(raw)}`, raw);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CloakroomNetworkError(`the server URL must start with http:// or https://`, raw);
  }
  // Credentials in the URL would be sent nowhere useful and end up in config files and messages.
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return url.href.replace(/\/+$/, "").replace(/\/v1$/, "");
}

function toApiError(status: number, body: unknown): CloakroomApiError {
  const err = (body as Partial<ErrorBody> | undefined)?.error;
  if (err && typeof err === "object" && typeof err.code === "string") {
    const message = typeof err.message === "string" ? err.message : err.code;
    const details =
      err.details && typeof err.details === "object" ? (err.details as Record<string, unknown>) : undefined;
    return new CloakroomApiError(status, err.code, message, details);
  }
  // Not Cloakroom's error shape (a proxy's page, say): report the status, never the body.
  return new CloakroomApiError(status, fallbackCode(status), `the server answered HTTP ${status}`);
}

function fallbackCode(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "unauthenticated";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 413:
      return "payload_too_large";
    case 429:
      return "rate_limited";
    default:
      return status >= 500 ? "server_error" : "http_error";
  }
}

/** AbortSignal.any exists from Node 20.3; this does the same for the two signals the client combines. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (error instanceof Error && error.name === "AbortError") return "aborted";
  if (cause && typeof cause.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

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
import {
  type ClientOptions,
  CloakroomNetworkError,
  createTransport,
  type RequestOptions,
  type Transport,
} from "./transport.js";
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
export {
  type ClientOptions,
  CloakroomApiError,
  CloakroomNetworkError,
  type RequestOptions,
} from "./transport.js";
export type * from "./types.js";

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
  const { baseUrl, token, request } = createTransport(options);
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
    secrets: secretsApi(request),
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

function listQuery(opts: SecretListQuery): RequestOptions["query"] {
  const { archived, q, limit, cursor } = opts;
  return { archived: archived === undefined ? undefined : String(archived), q, limit, cursor };
}

/** The secrets area; `list` pages through to the last page. */
function secretsApi(request: Transport["request"]): CloakroomClient["secrets"] {
  const sec = (scope: Scope, name: string) => `${scopePath(scope)}/secrets/${seg(name)}`;
  return {
    page: (scope, opts = {}) => request("GET", `${scopePath(scope)}/secrets`, { query: listQuery(opts) }),
    list: async (scope, opts = {}) => {
      const all: SecretMetadata[] = [];
      let cursor: string | undefined;
      do {
        const query = listQuery({ ...opts, limit: 1000, ...(cursor ? { cursor } : {}) });
        const page: SecretPage = await request("GET", `${scopePath(scope)}/secrets`, { query });
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
  };
}

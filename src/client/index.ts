/**
 * The typed client of Cloakroom's HTTP API v1 (SPEC I4), used by the CLI and the console. It has no
 * dependency on the server code: it speaks the contract in SPEC.md and nothing else.
 *
 *   const client = createClient({ baseUrl: "http://127.0.0.1:8787", token });
 *   await client.secrets.create({ org: "acme" }, { name: "API_KEY", type: "token", value });
 */

import { type AppsApi, appsApi } from "./apps.js";
import { getList, projectPath, type Request, seg, send } from "./collection.js";
import { type IntegrationsApi, integrationsApi, type LogicApi, logicApi } from "./consumers.js";
import { type FlowsApi, flowsApi } from "./flows.js";
import { type SecretsApi, secretsApi } from "./secrets.js";
import { type TemplatesApi, templatesApi } from "./templates.js";
import { type ClientOptions, createTransport, type RequestOptions } from "./transport.js";
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
  CreateTokenInput,
  Invitation,
  InviteMemberInput,
  LoginInput,
  LoginResult,
  LogsQuery,
  Me,
  Member,
  Org,
  OrgSettings,
  Project,
  ProjectScope,
  PublishEventInput,
  PublishedEvent,
  Role,
  RunLogEntry,
  SetupInput,
  SetupResult,
  SetupState,
  UpdateSettingsInput,
} from "./types.js";

export type * from "./apps.js";
export type { ItemAction, ProjectCollection } from "./collection.js";
export { scopePath } from "./collection.js";
export type * from "./consumers.js";
export type * from "./flows.js";
export type { SecretsApi } from "./secrets.js";
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
  secrets: SecretsApi;
  integrations: IntegrationsApi;
  flows: FlowsApi;
  logic: LogicApi;
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

export function createClient(options: ClientOptions): CloakroomClient {
  const { baseUrl, token, request } = createTransport(options);
  const org = (slug: string) => `/v1/orgs/${seg(slug)}`;

  return {
    ...appsApi(request),
    baseUrl,
    token,
    withToken: (next) => createClient({ ...options, token: next }),
    request,

    setup: (input) => request("POST", "/v1/setup", { body: input }),
    setupState: () => request("GET", "/v1/setup"),
    login: (input) => request("POST", "/v1/auth/login", { body: input }),
    logout: () => send(request, "POST", "/v1/auth/logout"),
    me: () => request("GET", "/v1/me"),

    orgs: {
      list: () => getList<Org>(request, "/v1/orgs", "orgs"),
      create: (input) => request("POST", "/v1/orgs", { body: input }),
    },
    ...organizationApi(request, org),
    secrets: secretsApi(request),
    integrations: integrationsApi(request),
    logic: logicApi(request),
    templates: templatesApi(request),
    flows: flowsApi(request),
    events: {
      publish: (scope, input) => request("POST", `${projectPath(scope)}/events`, { body: input }),
    },
    logs: {
      list: (scope, query = {}) =>
        getList<RunLogEntry>(request, `${projectPath(scope)}/logs`, "entries", { query: { ...query } }),
    },
    audit: {
      list: (o, query = {}) =>
        getList<AuditEntry>(request, `${org(o)}/audit`, "entries", { query: { ...query } }),
      verify: (o) => request("GET", `${org(o)}/audit/verify`),
    },
  };
}

type OrganizationApi = Pick<CloakroomClient, "members" | "invitations" | "tokens" | "settings" | "projects">;

/** What lives under `/v1/orgs/{org}`: members, invitations, API tokens, settings and projects. */
function organizationApi(request: Request, org: (slug: string) => string): OrganizationApi {
  return {
    members: {
      list: (o) => getList<Member>(request, `${org(o)}/members`, "members"),
      invite: (o, input) => request("POST", `${org(o)}/members`, { body: input }),
      update: (o, userId, input) => request("PATCH", `${org(o)}/members/${seg(userId)}`, { body: input }),
      remove: (o, userId) => send(request, "DELETE", `${org(o)}/members/${seg(userId)}`),
    },
    invitations: {
      list: (o) => getList<Invitation>(request, `${org(o)}/invitations`, "invitations"),
      revoke: (o, id) => send(request, "DELETE", `${org(o)}/invitations/${seg(id)}`),
      accept: (input) => request("POST", "/v1/invitations/accept", { body: input }),
    },
    tokens: {
      list: (o) => getList<ApiToken>(request, `${org(o)}/tokens`, "tokens"),
      create: (o, input) => request("POST", `${org(o)}/tokens`, { body: input }),
      delete: (o, id) => send(request, "DELETE", `${org(o)}/tokens/${seg(id)}`),
    },
    settings: {
      get: (o) => request("GET", `${org(o)}/settings`),
      update: (o, input) => request("PATCH", `${org(o)}/settings`, { body: input }),
    },
    projects: {
      list: (o) => getList<Project>(request, `${org(o)}/projects`, "projects"),
      create: (o, input) => request("POST", `${org(o)}/projects`, { body: input }),
    },
  };
}

/**
 * The typed methods for the app catalog, installations, templates and the Macro Manager (SPEC X5, X8), with
 * exactly the API table's paths. The types are written from SPEC's shapes while the server's schemas are
 * built on other branches; names and signatures match those branches' client parts (`client/apps.ts`,
 * `client/templates.ts`), which replace this file as they land (flows already did: `client/flows.ts`).
 */
import type { ProjectScope, RunInput, RunLogEntry } from "./types.js";

/** SPEC `Str`: a literal, used as is, or a JavaScript expression evaluated in the sandbox (X4). */
type Str = string | { expr: string };

/** An app of the built-in catalog (`GET /v1/apps`): its configuration fields and its actions. */
export interface App {
  id: string;
  name: string;
  fields: { key: string; label: string; secret: boolean; required: boolean }[];
  actions: { id: string; name: string; input: { key: string; label: string; required: boolean }[] }[];
}
export interface Installation {
  name: string;
  app: string;
  baseUrl: string | null;
  secrets: string[];
  config: Record<string, Str>;
}
export type InstallationInput = Omit<Installation, "baseUrl"> & { baseUrl?: string | null };
/** An action's input: a string per input field. */
export type ActionInput = Record<string, string>;

export interface MessageTemplate {
  id: string;
  name: string;
  event: string;
  enabled: boolean;
  secrets: string[];
  subject: string | null;
  body: string;
  channel:
    | { type: "webhook"; method: string; url: string; headers: Record<string, string> }
    | {
        type: "email";
        smtp: { host: string; port: number; secure: boolean; username: string; password: string };
        from: string;
        to: string[];
      };
}
export type MessageTemplateInput = Omit<MessageTemplate, "id" | "enabled" | "event"> & {
  event?: string;
  enabled?: boolean;
};
/** A template rendered with `[[SENSITIVE]]` for every secret; no value is ever resolved. */
export interface TemplatePreview {
  subject: string | null;
  body: string;
}
/** What the Macro Manager offers: a category, a name and the text it inserts; never a value. */
export interface Macro {
  category: string;
  name: string;
  insert: string;
}

type Request = <T>(method: string, path: string, options?: { body?: unknown }) => Promise<T>;

export interface AutomationClient {
  apps: {
    list(): Promise<App[]>;
  };
  installations: {
    list(scope: ProjectScope): Promise<Installation[]>;
    get(scope: ProjectScope, name: string): Promise<Installation>;
    create(scope: ProjectScope, input: InstallationInput): Promise<Installation>;
    update(scope: ProjectScope, name: string, input: InstallationInput): Promise<Installation>;
    delete(scope: ProjectScope, name: string): Promise<void>;
    /** Invokes an action directly: the answer is its redacted run-log entry. */
    invoke(scope: ProjectScope, name: string, action: string, input?: ActionInput): Promise<RunLogEntry>;
  };
  templates: {
    list(scope: ProjectScope): Promise<MessageTemplate[]>;
    get(scope: ProjectScope, id: string): Promise<MessageTemplate>;
    create(scope: ProjectScope, input: MessageTemplateInput): Promise<MessageTemplate>;
    update(scope: ProjectScope, id: string, input: MessageTemplateInput): Promise<MessageTemplate>;
    delete(scope: ProjectScope, id: string): Promise<void>;
    /** Renders with `[[SENSITIVE]]` for every secret; never resolves a value. */
    preview(scope: ProjectScope, id: string, input?: RunInput): Promise<TemplatePreview>;
    /** Sends once: the redacted run-log entry. */
    test(scope: ProjectScope, id: string, input?: RunInput): Promise<RunLogEntry>;
    /** The Macro Manager: the macros the project's templates may use, by category (names only). */
    macros(scope: ProjectScope): Promise<Macro[]>;
  };
}

export function automationClient(
  request: Request,
  projectPath: (scope: ProjectScope) => string,
  unwrapList: <T>(body: unknown, key: string) => T[],
): AutomationClient {
  const seg = encodeURIComponent;
  const at = (kind: string) => (scope: ProjectScope, id?: string) =>
    `${projectPath(scope)}/${kind}${id === undefined ? "" : `/${seg(id)}`}`;
  const inst = at("installations");
  const tmpl = at("templates");
  return {
    apps: {
      list: async () => unwrapList<App>(await request("GET", "/v1/apps"), "apps"),
    },
    installations: {
      list: async (scope) => unwrapList<Installation>(await request("GET", inst(scope)), "installations"),
      get: (scope, name) => request("GET", inst(scope, name)),
      create: (scope, input) => request("POST", inst(scope), { body: input }),
      update: (scope, name, input) => request("PUT", inst(scope, name), { body: input }),
      delete: async (scope, name) => {
        await request("DELETE", inst(scope, name));
      },
      invoke: (scope, name, action, input = {}) =>
        request("POST", `${inst(scope, name)}/actions/${seg(action)}`, { body: { input } }),
    },
    templates: {
      list: async (scope) => unwrapList<MessageTemplate>(await request("GET", tmpl(scope)), "templates"),
      get: (scope, id) => request("GET", tmpl(scope, id)),
      create: (scope, input) => request("POST", tmpl(scope), { body: input }),
      update: (scope, id, input) => request("PUT", tmpl(scope, id), { body: input }),
      delete: async (scope, id) => {
        await request("DELETE", tmpl(scope, id));
      },
      preview: (scope, id, input = {}) => request("POST", `${tmpl(scope, id)}/preview`, { body: input }),
      test: (scope, id, input = {}) => request("POST", `${tmpl(scope, id)}/test`, { body: input }),
      macros: async (scope) =>
        unwrapList<Macro>(await request("GET", `${projectPath(scope)}/macros`), "macros"),
    },
  };
}

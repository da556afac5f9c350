/**
 * The typed methods for flows, the app catalog, installations, templates and macros (SPEC X4, X5, X8), kept
 * beside index.ts so that it stays one readable table. Paths are exactly the API table's.
 */
import type {
  AppInfo,
  Flow,
  FlowInput,
  Installation,
  InstallationInput,
  InvokeInput,
  Macro,
  ProjectScope,
  RunInput,
  StepsRunLogEntry,
  Template,
  TemplateInput,
  TemplatePreview,
} from "./types.js";

type Request = <T>(method: string, path: string, options?: { body?: unknown }) => Promise<T>;

export interface AutomationClient {
  flows: {
    list(scope: ProjectScope): Promise<Flow[]>;
    get(scope: ProjectScope, id: string): Promise<Flow>;
    create(scope: ProjectScope, input: FlowInput): Promise<Flow>;
    update(scope: ProjectScope, id: string, input: FlowInput): Promise<Flow>;
    delete(scope: ProjectScope, id: string): Promise<void>;
    /** Runs the flow once: the redacted run-log entry, with `steps` and any `warnings`. */
    test(scope: ProjectScope, id: string, input?: RunInput): Promise<StepsRunLogEntry>;
  };
  apps: {
    /** The built-in app catalog: fields (some secret) and actions. */
    list(): Promise<AppInfo[]>;
  };
  installations: {
    list(scope: ProjectScope): Promise<Installation[]>;
    get(scope: ProjectScope, name: string): Promise<Installation>;
    create(scope: ProjectScope, input: InstallationInput): Promise<Installation>;
    update(scope: ProjectScope, name: string, input: InstallationInput): Promise<Installation>;
    delete(scope: ProjectScope, name: string): Promise<void>;
    /** Invokes an action directly: the answer is its redacted run-log entry. */
    invoke(scope: ProjectScope, name: string, action: string, input: InvokeInput): Promise<StepsRunLogEntry>;
  };
  templates: {
    list(scope: ProjectScope): Promise<Template[]>;
    get(scope: ProjectScope, id: string): Promise<Template>;
    create(scope: ProjectScope, input: TemplateInput): Promise<Template>;
    update(scope: ProjectScope, id: string, input: TemplateInput): Promise<Template>;
    delete(scope: ProjectScope, id: string): Promise<void>;
    /** Renders with `[[SENSITIVE]]` for every secret; never resolves a value. */
    preview(scope: ProjectScope, id: string, input?: RunInput): Promise<TemplatePreview>;
    /** Sends once: the redacted run-log entry. */
    test(scope: ProjectScope, id: string, input?: RunInput): Promise<StepsRunLogEntry>;
  };
  macros: {
    /** The macros a project's templates may use, by category (names only). */
    list(scope: ProjectScope): Promise<Macro[]>;
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
  const flow = at("flows");
  const inst = at("installations");
  const tmpl = at("templates");
  return {
    flows: {
      list: async (scope) => unwrapList<Flow>(await request("GET", flow(scope)), "flows"),
      get: (scope, id) => request("GET", flow(scope, id)),
      create: (scope, input) => request("POST", flow(scope), { body: input }),
      update: (scope, id, input) => request("PUT", flow(scope, id), { body: input }),
      delete: async (scope, id) => {
        await request("DELETE", flow(scope, id));
      },
      test: (scope, id, input = {}) => request("POST", `${flow(scope, id)}/test`, { body: input }),
    },
    apps: {
      list: async () => unwrapList<AppInfo>(await request("GET", "/v1/apps"), "apps"),
    },
    installations: {
      list: async (scope) => unwrapList<Installation>(await request("GET", inst(scope)), "installations"),
      get: (scope, name) => request("GET", inst(scope, name)),
      create: (scope, input) => request("POST", inst(scope), { body: input }),
      update: (scope, name, input) => request("PUT", inst(scope, name), { body: input }),
      delete: async (scope, name) => {
        await request("DELETE", inst(scope, name));
      },
      invoke: (scope, name, action, input) =>
        request("POST", `${inst(scope, name)}/actions/${seg(action)}`, { body: input }),
    },
    templates: {
      list: async (scope) => unwrapList<Template>(await request("GET", tmpl(scope)), "templates"),
      get: (scope, id) => request("GET", tmpl(scope, id)),
      create: (scope, input) => request("POST", tmpl(scope), { body: input }),
      update: (scope, id, input) => request("PUT", tmpl(scope, id), { body: input }),
      delete: async (scope, id) => {
        await request("DELETE", tmpl(scope, id));
      },
      preview: (scope, id, input = {}) => request("POST", `${tmpl(scope, id)}/preview`, { body: input }),
      test: (scope, id, input = {}) => request("POST", `${tmpl(scope, id)}/test`, { body: input }),
    },
    macros: {
      list: async (scope) =>
        unwrapList<Macro>(await request("GET", `${projectPath(scope)}/macros`), "macros"),
    },
  };
}

/**
 * The typed methods for message templates and the Macro Manager (SPEC X5), with exactly the API table's
 * paths. The types are written from SPEC's shapes while the server's schemas are built on the templates
 * branch; names and signatures match that branch's `client/templates.ts`, which replaces this file.
 */
import type { ProjectScope, RunInput, RunLogEntry } from "./types.js";

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
  const tmpl = at("templates");
  return {
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

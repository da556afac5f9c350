/**
 * The client's message-template methods (SPEC X5, API rows for templates and macros), kept beside the
 * main client so each file stays readable.
 */
import type {
  Macro,
  MessageTemplate,
  MessageTemplateInput,
  ProjectScope,
  RunInput,
  RunLogEntry,
  TemplatePreview,
} from "./types.js";

export interface TemplatesApi {
  list(scope: ProjectScope): Promise<MessageTemplate[]>;
  get(scope: ProjectScope, id: string): Promise<MessageTemplate>;
  create(scope: ProjectScope, input: MessageTemplateInput): Promise<MessageTemplate>;
  update(scope: ProjectScope, id: string, input: MessageTemplateInput): Promise<MessageTemplate>;
  delete(scope: ProjectScope, id: string): Promise<void>;
  /** The subject and body rendered with `[[SENSITIVE]]` for every secret; no value is read. */
  preview(scope: ProjectScope, id: string, input?: RunInput): Promise<TemplatePreview>;
  /** The same rendering for an unsaved template (a live preview); nothing is stored, no value is read. */
  previewDraft(
    scope: ProjectScope,
    template: MessageTemplateInput,
    input?: RunInput,
  ): Promise<TemplatePreview>;
  /** Sends the message once, now; the answer is its redacted run-log entry. */
  test(scope: ProjectScope, id: string, input?: RunInput): Promise<RunLogEntry>;
  /** The Macro Manager: the macros the project's templates may use, names only. */
  macros(scope: ProjectScope): Promise<Macro[]>;
}

type Request = <T>(method: string, path: string, options?: { body?: unknown }) => Promise<T>;

export function templatesApi(request: Request, projectPath: (scope: ProjectScope) => string): TemplatesApi {
  const path = (scope: ProjectScope, id?: string) =>
    `${projectPath(scope)}/templates${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;
  return {
    list: async (scope) => (await request<{ templates: MessageTemplate[] }>("GET", path(scope))).templates,
    get: (scope, id) => request("GET", path(scope, id)),
    create: (scope, input) => request("POST", path(scope), { body: input }),
    update: (scope, id, input) => request("PUT", path(scope, id), { body: input }),
    delete: async (scope, id) => {
      await request("DELETE", path(scope, id));
    },
    preview: (scope, id, input = {}) => request("POST", `${path(scope, id)}/preview`, { body: input }),
    previewDraft: (scope, template, input = {}) =>
      request("POST", `${path(scope)}/preview`, { body: { ...input, template } }),
    test: (scope, id, input = {}) => request("POST", `${path(scope, id)}/test`, { body: input }),
    macros: async (scope) =>
      (await request<{ macros: Macro[] }>("GET", `${projectPath(scope)}/macros`)).macros,
  };
}

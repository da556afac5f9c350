/**
 * The client's message-template methods (SPEC X5, API rows for templates and macros), kept beside the
 * main client so each file stays readable.
 */
import {
  getList,
  type ItemAction,
  type ProjectCollection,
  projectCollection,
  projectPath,
  type Request,
} from "./collection.js";
import type {
  Macro,
  MessageTemplate,
  MessageTemplateInput,
  ProjectScope,
  RunInput,
  RunLogEntry,
  TemplatePreview,
} from "./types.js";

export interface TemplatesApi extends ProjectCollection<MessageTemplate, MessageTemplateInput> {
  /** The subject and body rendered with `[[SENSITIVE]]` for every secret; no value is read. */
  preview: ItemAction<TemplatePreview>;
  /** The same rendering for an unsaved template (a live preview); nothing is stored, no value is read. */
  previewDraft(
    scope: ProjectScope,
    template: MessageTemplateInput,
    input?: RunInput,
  ): Promise<TemplatePreview>;
  /** Sends the message once, now; the answer is its redacted run-log entry. */
  test: ItemAction<RunLogEntry>;
  /** The Macro Manager: the macros the project's templates may use, names only. */
  macros(scope: ProjectScope): Promise<Macro[]>;
}

export function templatesApi(request: Request): TemplatesApi {
  const templates = projectCollection<MessageTemplate, MessageTemplateInput>(request, "templates");
  return {
    ...templates.api,
    preview: templates.action("preview"),
    previewDraft: (scope, template, input = {}) =>
      request("POST", `${templates.path(scope)}/preview`, { body: { ...input, template } }),
    test: templates.action("test"),
    macros: (scope) => getList<Macro>(request, `${projectPath(scope)}/macros`, "macros"),
  };
}

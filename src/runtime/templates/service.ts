/**
 * What message templates offer beyond a consumer's life cycle (SPEC X5): the preview, rendered without
 * a single secret value, and the Macro Manager, the macros a project's templates may use by category.
 * Sending (the test) is the runner's on-demand run, as for every kind.
 */
import {
  type ConsumersService,
  enterProject,
  type ProjectAuth,
  type ProjectRequest,
} from "../../consumers/service.js";
import type { Macro, TemplateInput } from "../../consumers/template-schema.js";
import { AppError } from "../../errors.js";
import type { ScopeTarget, SecretsService } from "../../secrets/service.js";
import type { SecretResolver } from "../../secrets/types.js";
import type { Store } from "../../store/db.js";
import { newId, nowIso } from "../../store/ids.js";
import type { RedactorCache } from "../runner/redactors.js";
import type { RunNowInput } from "../runner/schema.js";
import { RenderError } from "../webhook/index.js";
import { eventDataPaths, recentEventData } from "./event-keys.js";
import { type RenderedMessage, renderPreview, sampleEvent } from "./render.js";

export interface TemplatesServiceDeps {
  store: Store;
  auth: ProjectAuth;
  consumers: Pick<ConsumersService, "load">;
  /** Names and types of the secrets in scope; no value. */
  secrets: Pick<SecretsService, "list"> & Pick<SecretResolver, "redactionValues">;
  redactors: RedactorCache;
}

export interface TemplatesService {
  preview(r: ProjectRequest, id: string, input: RunNowInput): Promise<RenderedMessage>;
  /**
   * The same rendering for a template that is not saved (the console's live preview): nothing is stored,
   * no value is read, and a text that does not render is a 400 naming the problem.
   */
  previewDraft(r: ProjectRequest, input: RunNowInput & { template: TemplateInput }): Promise<RenderedMessage>;
  macros(r: ProjectRequest): Promise<Macro[]>;
}

const EVENT_MACROS = ["event.name", "event.id", "event.publishedAt", "event.data"];

export function createTemplatesService(deps: TemplatesServiceDeps): TemplatesService {
  const { auth } = deps;

  /** The scope's secrets, every page, names and types only. */
  async function secretsInScope(t: ScopeTarget) {
    const out: { name: string; type: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.secrets.list(t, {
        archived: false,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const s of page.secrets) out.push({ name: s.name, type: s.type });
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  return {
    async preview(r, id, input) {
      const t = await enterProject(auth, r, "consumer.read", { type: "template", id });
      const consumer = await deps.consumers.load(t, "template", id);
      if (consumer.kind !== "template") throw new Error("not a template");
      return renderPreview(consumer, sampleEvent(consumer.event, input?.event, newId(), nowIso()));
    },

    async previewDraft(r, input) {
      await enterProject(auth, r, "consumer.read", { type: "template", name: input.template.name });
      const draft = { ...input.template, id: "draft" };
      try {
        return renderPreview(draft, sampleEvent(draft.event, input.event, newId(), nowIso()));
      } catch (error) {
        if (!(error instanceof RenderError)) throw error;
        throw new AppError("invalid_request", `the template does not render: ${error.message}`);
      }
    },

    async macros(r) {
      const t = await enterProject(auth, r, "consumer.read");
      const macros: Macro[] = [];
      for (const s of await secretsInScope(t)) {
        macros.push({ category: "Secrets", name: s.name, insert: `{{secrets.${s.name}}}` });
        if (s.type === "username_password") {
          for (const part of ["username", "password"]) {
            const name = `${s.name}.${part}`;
            macros.push({ category: "Secrets", name, insert: `{{secrets.${name}}}` });
          }
        }
      }
      const data = await recentEventData(deps.store.db, t.project.id);
      // A key that is a secret's value must not become a macro's name.
      const scope = { orgId: t.access.org.id, projectId: t.project.id };
      const redactor =
        data.length > 0 ? deps.redactors.get(await deps.secrets.redactionValues(scope), []) : null;
      const paths = eventDataPaths(data, (key) => redactor !== null && redactor.redact(key) !== key);
      for (const name of [...EVENT_MACROS, ...paths])
        macros.push({ category: "Event", name, insert: `{{${name}}}` });
      return macros;
    },
  };
}

/**
 * Integrations and logic functions (SPEC Concepts "Consumer", X2, X3): create, read, replace, delete.
 * Saving checks that every secret the templates or code use is declared and that every declared name
 * exists (X2), then writes the consumer, its `consumer_secrets` rows and the audit entry in one
 * transaction, so usage counts change with the consumer, atomically (X7, A2).
 */
import type { AuditAction } from "../audit/actions.js";
import type { AuditLog } from "../audit/types.js";
import { orgAudited } from "../auth/audited.js";
import { can } from "../auth/policy.js";
import type { OrgAccess, ProjectRecord } from "../auth/types.js";
import { AppError } from "../errors.js";
import { referencedSecretNames, validateTemplates } from "../runtime/webhook/index.js";
import { literalUrlProblem } from "../runtime/webhook/literal-url.js";
import type { SecretResolver } from "../secrets/types.js";
import type { Store, Tx } from "../store/db.js";
import { newId, nowIso } from "../store/ids.js";
import type { Flow, FlowConfig, FlowInput } from "./flow-schema.js";
import { checkFlowSteps, flowRefusal, refusedSteps } from "./flows.js";
import { bodyFields, type FieldProblem, sameSecretTwice, undeclaredNames } from "./fns.js";
import type {
  Consumer,
  ConsumerKind,
  Integration,
  IntegrationConfig,
  IntegrationInput,
  LogicConfig,
  LogicFunction,
  LogicInput,
} from "./schema.js";
import {
  type ConsumerRow,
  declaredNames,
  deleteConsumer,
  findConsumerRow,
  insertConsumer,
  listConsumerRows,
  loadConsumers,
  matchingConsumerIds,
  setConsumerSecrets,
  toConsumer,
  updateConsumer,
} from "./store.js";
import type { MessageTemplate, TemplateInput } from "./template-schema.js";
import { checkTemplate, checkTypedParts, templateConfig, templateView } from "./templates.js";

/** The slice of the auth service a project's routes need. */
export interface ProjectAuth {
  authorize(
    access: OrgAccess,
    action: AuditAction,
    target?: { type: string; id?: string; name?: string },
  ): Promise<void>;
  project(access: OrgAccess, projectSlug: string): Promise<ProjectRecord>;
}

export interface ConsumersDeps {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
  auth: ProjectAuth;
  secrets: Pick<SecretResolver, "declared">;
  /** The sandbox's parse check of a logic function (X3); the message names a line, never a value. */
  checkLogicSyntax(code: string): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Secret names a logic function's code reads from `secrets`. */
  logicSecretNames(code: string): string[];
  /** CLOAKROOM_ALLOW_PRIVATE_TARGETS: a literal private or loopback URL is then accepted at save, as at run time. */
  allowPrivateTargets?: boolean;
  /** Whether an app installation exists (X8), so a flow's `app` step naming none is refused at save. */
  installationExists?(projectId: string, installation: string): Promise<boolean>;
}

/** Where a request points: a project (by slug) of an organization the caller belongs to. */
export interface ProjectRequest {
  access: OrgAccess;
  projectSlug: string;
}

/** A project request once the action is authorized and the project found. */
export interface ProjectTarget {
  access: OrgAccess;
  project: ProjectRecord;
}

/** Authorizes first, then looks the project up, so a refused caller learns nothing about projects. */
export async function enterProject(
  auth: ProjectAuth,
  r: ProjectRequest,
  action: AuditAction,
  target?: { type: string; id?: string; name?: string },
): Promise<ProjectTarget> {
  await auth.authorize(r.access, action, target);
  return { access: r.access, project: await auth.project(r.access, r.projectSlug) };
}

export type ConsumerInput =
  | ({ kind: "integration" } & IntegrationInput)
  | ({ kind: "logic" } & LogicInput)
  | ({ kind: "template" } & TemplateInput)
  | ({ kind: "flow" } & FlowInput);
export type ConsumerView = Integration | LogicFunction | MessageTemplate | Flow;

export interface ConsumersService {
  list(r: ProjectRequest, kind: ConsumerKind): Promise<ConsumerView[]>;
  get(r: ProjectRequest, kind: ConsumerKind, id: string): Promise<ConsumerView>;
  create(r: ProjectRequest, input: ConsumerInput): Promise<ConsumerView>;
  update(r: ProjectRequest, id: string, input: ConsumerInput): Promise<ConsumerView>;
  remove(r: ProjectRequest, kind: ConsumerKind, id: string): Promise<void>;
  /** A consumer with where it lives, for a run the caller has already been authorized for. */
  load(t: ProjectTarget, kind: ConsumerKind, id: string): Promise<Consumer>;
  /** Consumers by id, for the worker's claimed runs; a deleted one is simply absent. */
  byIds(ids: string[]): Promise<Map<string, Consumer>>;
  /** Ids of the enabled consumers an event triggers, inside the publishing transaction. */
  matching(tx: Tx, projectId: string, eventName: string): Promise<string[]>;
}

export function createConsumersService(deps: ConsumersDeps): ConsumersService {
  const { store, audit, auth, secrets } = deps;
  const audited = orgAudited({ store, audit });

  async function loadOne(db: Tx, t: ProjectTarget, kind: ConsumerKind, id: string): Promise<Consumer> {
    const row = await findConsumerRow(db, { projectId: t.project.id, kind, id });
    if (!row)
      throw new AppError("not_found", `no ${kindLabel(kind)} ${safeId(id)} in project ${t.project.slug}`);
    const names = await declaredNames(db, [row.id]);
    return toConsumer(row, names.get(row.id) ?? []);
  }

  /** Checks that need no database: template and code syntax, names used but not declared. */
  async function checkInput(input: ConsumerInput, t: ProjectTarget): Promise<void> {
    let problems: FieldProblem[];
    let used: string[];
    if (input.kind === "integration") {
      problems = bodyFields(validateTemplates(input.request));
      const url = literalUrlProblem(input.request.url, { allowPrivate: deps.allowPrivateTargets ?? false });
      if (url !== null) problems.push({ field: "body.request.url", message: url });
      used = referencedSecretNames(input.request);
    } else if (input.kind === "template") {
      ({ problems, used } = checkTemplate(input, { allowPrivate: deps.allowPrivateTargets ?? false }));
    } else if (input.kind === "flow") {
      ({ problems, used } = await checkFlowSteps(input.steps, deps, t.project.id));
    } else {
      const syntax = await deps.checkLogicSyntax(input.code);
      problems = syntax.ok ? [] : [{ field: "body.code", message: syntax.message }];
      used = syntax.ok ? deps.logicSecretNames(input.code) : [];
    }
    if (problems.length > 0) {
      throw new AppError("invalid_request", `invalid ${problems.map((p) => p.field).join(", ")}`, {
        fields: problems,
      });
    }
    const undeclared = undeclaredNames(used, input.secrets, t.access.org.namingPolicy);
    if (undeclared.length > 0) {
      const where = {
        integration: "the templates use",
        logic: "the code uses",
        template: "the templates use",
        flow: "the steps use",
      }[input.kind];
      throw new AppError(
        "invalid_request",
        `${where} secrets the ${kindLabel(input.kind)} does not declare: ${undeclared.join(", ")}`,
        {
          fields: [{ field: "body.secrets", message: `add ${undeclared.join(", ")} to secrets` }],
          undeclared,
        },
      );
    }
  }

  /**
   * S11's second setting: unless the organization lets editors compute with restricted secrets, only owners
   * and admins save a logic function that declares one. An editor may still save such a function an admin
   * wrote when the code is unchanged and it declares no restricted secret it did not declare before
   * (rename, event filter, enabling, limits): the code that computes with the value stays the admin's.
   * Flows: the steps that compute with one (decision 0172), the same exception per unchanged step.
   * Checked before the saving transaction, since a refusal is audited in a transaction of its own.
   */
  async function checkComputeWithRestricted(
    t: ProjectTarget,
    action: "consumer.create" | "consumer.update",
    input: ConsumerInput,
    before: Consumer | null,
  ): Promise<void> {
    if (input.kind === "integration" || input.kind === "template") return;
    if (can(t.access.role, "consumer.compute_restricted", t.access.org)) return;
    const scope = { orgId: t.access.org.id, projectId: t.project.id };
    const restricted = (await secrets.declared(store.db, scope, input.secrets)).refs.filter(
      (r) => r.visibility === "restricted",
    );
    if (restricted.length === 0) return;
    const names = restricted.map((r) => r.name);
    let message = `only owners and admins may hand restricted secrets to a logic function (${names.join(", ")}); an integration may insert them as they are`;
    const details: Record<string, unknown> = { secrets: names };
    if (input.kind === "flow") {
      const previous = before?.kind === "flow" ? before.steps : null;
      const policy = t.access.org.namingPolicy;
      const refused = refusedSteps(input.steps, previous, names, policy, deps.logicSecretNames);
      if (refused.length === 0) return;
      message = flowRefusal(names, refused);
      details.steps = refused;
    } else if (before?.kind === "logic" && before.code === input.code) {
      const had = new Set(
        (await secrets.declared(store.db, scope, before.secrets)).refs
          .filter((r) => r.visibility === "restricted")
          .map((r) => r.secretId),
      );
      if (restricted.every((r) => had.has(r.secretId))) return;
    }
    try {
      const target = { type: "secret", name: names.join(", ") };
      await audited.authorize(t.access, { action, target, needs: ["consumer.compute_restricted"] });
    } catch (error) {
      if (error instanceof AppError && error.code === "forbidden")
        throw new AppError("forbidden", message, details);
      throw error;
    }
  }

  /** Declared names → secret ids, inside the saving transaction so a concurrent delete cannot slip between. */
  async function resolveDeclared(tx: Tx, t: ProjectTarget, input: ConsumerInput) {
    const names = input.secrets;
    const { refs, missing } = await secrets.declared(
      tx,
      { orgId: t.access.org.id, projectId: t.project.id },
      names,
    );
    if (missing.length > 0) {
      throw new AppError("invalid_request", `no such secrets: ${missing.join(", ")}`, {
        fields: [{ field: "body.secrets", message: `${missing.join(", ")} do not exist` }],
        missing,
      });
    }
    if (input.kind === "template") checkTypedParts(input, refs, t.access.org.namingPolicy);
    const twice = sameSecretTwice(refs);
    if (twice.length > 0) {
      const pairs = twice.map((names) => names.join(" and ")).join("; ");
      throw new AppError("invalid_request", `these declared names are the same secret: ${pairs}`, {
        fields: [{ field: "body.secrets", message: "declare each secret once" }],
      });
    }
    return refs;
  }

  /** The audited change of one consumer: its entry names the consumer and the project (A1, A2). */
  function change<T extends Consumer>(
    t: ProjectTarget,
    action: "consumer.create" | "consumer.update" | "consumer.delete",
    target: { type: ConsumerKind; id?: string; name?: string },
    fn: (tx: Tx) => Promise<{ consumer: T; details: Record<string, unknown> }>,
  ): Promise<T> {
    return audited(t.access, { action, target }, async (tx, entry) => {
      const { consumer, details } = await fn(tx);
      entry.target = { type: consumer.kind, id: consumer.id, name: consumer.name };
      entry.details = { project: t.project.slug, ...details };
      return consumer;
    });
  }

  return {
    async list(r, kind) {
      const t = await enterProject(auth, r, "consumer.read");
      const rows = await listConsumerRows(store.db, t.project.id, kind);
      const names = await declaredNames(
        store.db,
        rows.map((r) => r.id),
      );
      return rows.map((row) => toView(toConsumer(row, names.get(row.id) ?? [])));
    },

    async get(r, kind, id) {
      const t = await enterProject(auth, r, "consumer.read");
      return toView(await loadOne(store.db, t, kind, id));
    },

    async create(r, input) {
      const target = { type: input.kind, name: input.name };
      const t = await enterProject(auth, r, "consumer.create", target);
      await checkInput(input, t);
      await checkComputeWithRestricted(t, "consumer.create", input, null);
      const id = newId();
      const at = nowIso();
      const consumer = await change(t, "consumer.create", target, async (tx) => {
        const refs = await resolveDeclared(tx, t, input);
        await insertConsumer(tx, {
          id,
          org_id: t.access.org.id,
          project_id: t.project.id,
          kind: input.kind,
          ...rowFields(input),
          created_at: at,
          updated_at: at,
        });
        await setConsumerSecrets(tx, id, refs).catch(raceWithDelete);
        const saved = await loadOne(tx, t, input.kind, id);
        return { consumer: saved, details: { event: saved.event, secrets: saved.secrets } };
      });
      return toView(consumer);
    },

    async update(r, id, input) {
      const target = { type: input.kind, id };
      const t = await enterProject(auth, r, "consumer.update", target);
      await checkInput(input, t);
      if (input.kind === "logic" || input.kind === "flow") {
        const before = await loadOne(store.db, t, input.kind, id);
        await checkComputeWithRestricted(t, "consumer.update", input, before);
      }
      const consumer = await change(t, "consumer.update", target, async (tx) => {
        const before = await loadOne(tx, t, input.kind, id);
        const refs = await resolveDeclared(tx, t, input);
        await updateConsumer(tx, id, { ...rowFields(input), updated_at: nowIso() });
        await setConsumerSecrets(tx, id, refs).catch(raceWithDelete);
        const saved = await loadOne(tx, t, input.kind, id);
        const details = {
          event: saved.event,
          enabled: saved.enabled,
          secrets: saved.secrets,
          ...(before.name !== saved.name ? { previousName: before.name } : {}),
        };
        return { consumer: saved, details };
      });
      return toView(consumer);
    },

    async remove(r, kind, id) {
      const target = { type: kind, id };
      const t = await enterProject(auth, r, "consumer.delete", target);
      await change(t, "consumer.delete", target, async (tx) => {
        const consumer = await loadOne(tx, t, kind, id);
        await deleteConsumer(tx, id);
        return { consumer, details: { secrets: consumer.secrets } };
      });
    },

    load: (t, kind, id) => loadOne(store.db, t, kind, id),
    byIds: (ids) => loadConsumers(store.db, ids),
    matching: matchingConsumerIds,
  };
}

/** A consumer's row columns; `config` holds what its kind needs. */
function rowFields(input: ConsumerInput): Pick<ConsumerRow, "name" | "event" | "enabled" | "config"> {
  const config =
    input.kind === "integration"
      ? ({ request: input.request, timeoutMs: input.timeoutMs } satisfies IntegrationConfig)
      : input.kind === "template"
        ? templateConfig(input)
        : input.kind === "flow"
          ? ({ steps: input.steps } satisfies FlowConfig)
          : ({
              code: input.code,
              timeoutMs: input.timeoutMs,
              memoryMb: input.memoryMb,
            } satisfies LogicConfig);
  return {
    name: input.name,
    event: input.event,
    enabled: input.enabled ? 1 : 0,
    config: JSON.stringify(config),
  };
}

/** The API shape (SPEC "Shapes"): no organization or project ids, no kind. */
export function toView(consumer: Consumer): ConsumerView {
  const base = {
    id: consumer.id,
    name: consumer.name,
    event: consumer.event,
    enabled: consumer.enabled,
    secrets: consumer.secrets,
  };
  if (consumer.kind === "integration") {
    return { ...base, request: consumer.request, timeoutMs: consumer.timeoutMs };
  }
  if (consumer.kind === "template") return templateView(consumer);
  if (consumer.kind === "flow") return { ...base, steps: consumer.steps };
  return { ...base, code: consumer.code, timeoutMs: consumer.timeoutMs, memoryMb: consumer.memoryMb };
}

export const kindLabel = (kind: ConsumerKind): string =>
  ({ integration: "integration", logic: "logic function", template: "template", flow: "flow" })[kind];

/** A declared secret deleted between the lookup and the insert fails the foreign key: ask to retry. */
export function raceWithDelete(error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
    throw new AppError("conflict", "a declared secret was deleted meanwhile; reload and save again");
  }
  throw error;
}

/** Ids reach messages only when they look like ids. */
function safeId(id: string): string {
  return /^[A-Za-z0-9-]{1,64}$/.test(id) ? id : "(invalid id)";
}

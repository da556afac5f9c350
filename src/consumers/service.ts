/**
 * Integrations and logic functions (SPEC Concepts "Consumer", X2, X3): create, read, replace, delete.
 * Saving checks that every secret the templates or code use is declared and that every declared name
 * exists (X2), then writes the consumer, its `consumer_secrets` rows and the audit entry in one
 * transaction, so usage counts change with the consumer, atomically (X7, A2).
 */
import type { AuditLog } from "../audit/types.js";
import { orgAudited } from "../auth/audited.js";
import { AppError } from "../errors.js";
import type { SecretResolver } from "../secrets/types.js";
import type { Store, Tx } from "../store/db.js";
import { newId, nowIso } from "../store/ids.js";
import type { FlowConfig } from "./flow-schema.js";
import { noInstallation } from "./flows.js";
import type { FieldProblem } from "./fns.js";
import { enterProject, type ProjectAuth, type ProjectRequest, type ProjectTarget } from "./project.js";
import { consumerRecords } from "./records.js";
import { consumerChange, declaredRefs } from "./save.js";
import { createSaveChecks, kindLabel, type SaveChecksDeps } from "./save-checks.js";
import type {
  Consumer,
  ConsumerInput,
  ConsumerKind,
  ConsumerView,
  IntegrationConfig,
  LogicConfig,
} from "./schema.js";
import {
  type ConsumerRow,
  declaredNames,
  findConsumerRow,
  findConsumerRowByName,
  listConsumerRows,
  loadConsumers,
  matchingConsumerIds,
  toConsumer,
} from "./store.js";
import { checkTypedParts, templateConfig, templateView } from "./templates.js";

export { enterProject, type ProjectAuth, type ProjectRequest, type ProjectTarget } from "./project.js";
export type { ConsumerInput, ConsumerView } from "./schema.js";

export interface ConsumersDeps extends Omit<SaveChecksDeps, "audited"> {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
  auth: ProjectAuth;
  secrets: Pick<SecretResolver, "declared">;
}

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
  const { store, auth, secrets } = deps;
  const audited = orgAudited({ store, audit: deps.audit });
  const change = consumerChange(audited);
  const checks = createSaveChecks({ ...deps, audited });

  async function loadOne(db: Tx, t: ProjectTarget, kind: ConsumerKind, id: string): Promise<Consumer> {
    const row = await findConsumerRow(db, { projectId: t.project.id, kind, id });
    if (!row)
      throw new AppError("not_found", `no ${kindLabel(kind)} ${safeId(id)} in project ${t.project.slug}`);
    const names = await declaredNames(db, [row.id]);
    return toConsumer(row, names.get(row.id) ?? []);
  }

  /** Declared names → secret ids, inside the saving transaction so a concurrent delete cannot slip between. */
  const resolveDeclared = (tx: Tx, t: ProjectTarget, input: ConsumerInput) =>
    declaredRefs(secrets, tx, t, input.secrets, (refs) => {
      if (input.kind === "template") checkTypedParts(input, refs, t.access.org.namingPolicy);
    });

  /** The entry's target: the consumer as saved. */
  const named = (c: Consumer) => ({ type: c.kind, id: c.id, name: c.name });

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
      await checks.checkInput(input, t);
      await checks.checkComputeWithRestricted(t, "consumer.create", input, null);
      const id = newId();
      const at = nowIso();
      const row = { id, org_id: t.access.org.id, project_id: t.project.id, kind: input.kind };
      const consumer = await change(t, { action: "consumer.create", target }, async (tx) => {
        const refs = await resolveDeclared(tx, t, input);
        await holdInstallations(store, tx, t, input);
        await consumerRecords.insert(
          tx,
          { ...row, ...rowFields(input), created_at: at, updated_at: at },
          refs,
        );
        const saved = await loadOne(tx, t, input.kind, id);
        return {
          target: named(saved),
          result: saved,
          details: { event: saved.event, secrets: saved.secrets },
        };
      });
      return toView(consumer);
    },

    async update(r, id, input) {
      const target = { type: input.kind, id };
      const t = await enterProject(auth, r, "consumer.update", target);
      await checks.checkInput(input, t);
      if (input.kind === "logic" || input.kind === "flow") {
        const before = await loadOne(store.db, t, input.kind, id);
        await checks.checkComputeWithRestricted(t, "consumer.update", input, before);
      }
      const consumer = await change(t, { action: "consumer.update", target }, async (tx) => {
        const before = await loadOne(tx, t, input.kind, id);
        const refs = await resolveDeclared(tx, t, input);
        await holdInstallations(store, tx, t, input);
        await consumerRecords.update(tx, id, { ...rowFields(input), updated_at: nowIso() }, refs);
        const saved = await loadOne(tx, t, input.kind, id);
        const details = {
          event: saved.event,
          enabled: saved.enabled,
          secrets: saved.secrets,
          ...(before.name !== saved.name ? { previousName: before.name } : {}),
        };
        return { target: named(saved), result: saved, details };
      });
      return toView(consumer);
    },

    async remove(r, kind, id) {
      const target = { type: kind, id };
      const t = await enterProject(auth, r, "consumer.delete", target);
      await change(t, { action: "consumer.delete", target }, async (tx) => {
        const consumer = await loadOne(tx, t, kind, id);
        await consumerRecords.remove(tx, id);
        return { target: named(consumer), result: undefined, details: { secrets: consumer.secrets } };
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

/** Ids reach messages only when they look like ids. */
function safeId(id: string): string {
  return /^[A-Za-z0-9-]{1,64}$/.test(id) ? id : "(invalid id)";
}

/**
 * The installations a flow's `app` steps name, looked up inside the saving transaction and held there
 * (a key-share lock on PostgreSQL): one deleted meanwhile is refused as the check before the transaction
 * refuses it, and a delete that comes after waits for this save, then finds the flow (decision 0255).
 */
async function holdInstallations(
  store: Store,
  tx: Tx,
  t: ProjectTarget,
  input: ConsumerInput,
): Promise<void> {
  if (input.kind !== "flow") return;
  const lock = { dialect: store.dialect, mode: "keyShare" } as const;
  const problems: FieldProblem[] = [];
  for (const [i, step] of input.steps.entries()) {
    if (step.type !== "app") continue;
    const where = { projectId: t.project.id, kind: "installation" as const, name: step.installation };
    if (!(await findConsumerRowByName(tx, where, lock))) problems.push(noInstallation(i));
  }
  if (problems.length > 0) {
    throw new AppError("invalid_request", `invalid ${problems.map((p) => p.field).join(", ")}`, {
      fields: problems,
    });
  }
}

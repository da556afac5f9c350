/**
 * App installations (SPEC X8): create, read, replace and delete, keyed by name. An installation is a
 * consumer (kind `installation`): saving checks its configuration against the app, then writes the row,
 * what it declares and the audit entry in one transaction through the consumers domain's records, so usage
 * counts, `usedBy` and the delete guard of secrets name it (S5, S6, X7, A2), as for integrations (decision
 * 0114). A flow's `app` step names an installation: while one does, its delete is refused (decision 0255).
 */
import type { AuditLog } from "../audit/types.js";
import { orgAudited } from "../auth/audited.js";
import {
  enterProject,
  type ProjectAuth,
  type ProjectRequest,
  type ProjectTarget,
} from "../consumers/project.js";
import type { ConsumerRecords, ConsumerRow, RowLock } from "../consumers/records.js";
import { consumerChange, declaredRefs } from "../consumers/save.js";
import { LIMITS } from "../consumers/schema.js";
import { AppError } from "../errors.js";
import type { SecretResolver } from "../secrets/types.js";
import type { Store, Tx } from "../store/db.js";
import { newId, nowIso } from "../store/ids.js";
import { catalog } from "./catalog/index.js";
import { checkInstallation, checkSecretParts, type FieldRef, safe } from "./fns.js";
import {
  type Installation,
  type InstallationConfig,
  type InstallationInput,
  installationConfigOf,
} from "./schema.js";

export interface InstallationsDeps {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
  auth: ProjectAuth;
  secrets: Pick<SecretResolver, "declared">;
  /** The consumers domain's rows: an installation is one. */
  records: ConsumerRecords;
  /** CLOAKROOM_ALLOW_PRIVATE_TARGETS: a literal private or loopback base URL is then accepted, as at run time. */
  allowPrivateTargets?: boolean;
}

/** list, get (with `usedBy`), create, update and remove (refused while a flow uses it), by name. */
export type InstallationsService = ReturnType<typeof createInstallationsService>;

/** GET /v1/apps: the catalog as SPEC shapes it (fields and action inputs; no patterns, no values). */
export function catalogView() {
  return {
    apps: catalog.map((app) => ({
      id: app.id,
      name: app.name,
      fields: app.fields.map(({ key, label, secret, required }) => ({ key, label, secret, required })),
      actions: app.actions.map((a) => ({
        id: a.id,
        name: a.name,
        input: a.input.map(({ key, label, required }) => ({ key, label, required })),
      })),
    })),
  };
}

export function createInstallationsService(deps: InstallationsDeps) {
  const { store, auth, records } = deps;
  const rows = createInstallationRows(deps);
  const change = consumerChange(orgAudited({ store, audit: deps.audit }));
  const check = (input: InstallationInput, t: ProjectTarget) =>
    checkInstallation(input, {
      allowPrivate: deps.allowPrivateTargets ?? false,
      policy: t.access.org.namingPolicy,
    }).used;

  /** The audited change of one installation: its entry names it and the project (A1, A2). */
  const changeOf = (t: ProjectTarget, action: "consumer.create" | "consumer.update", name: string) => ({
    action,
    target: { type: "installation", name },
    unique: {
      code: "name_taken" as const,
      message: `an installation named ${safe(name)} already exists in project ${t.project.slug}`,
    },
  });

  /** Declared names → secret ids, each field's part checked against its secret's type. */
  const refsFor = (tx: Tx, t: ProjectTarget, input: InstallationInput, used: FieldRef[]) =>
    declaredRefs(deps.secrets, tx, t, input.secrets, (refs) =>
      checkSecretParts(used, refs, t.access.org.namingPolicy),
    );

  /** What a save answers and records: the installation as saved. */
  async function saved(tx: Tx, row: ConsumerRow) {
    const result = await rows.view(tx, row);
    const target = { type: "installation", id: row.id, name: row.name };
    return { target, result, details: { app: result.app, secrets: result.secrets } };
  }

  return {
    async list(r: ProjectRequest): Promise<Installation[]> {
      const t = await enterProject(auth, r, "consumer.read");
      const list = await records.list(store.db, t.project.id, "installation", "name");
      const names = await records.declaredNames(
        store.db,
        list.map((row) => row.id),
      );
      return list.map((row) => toView(row, names.get(row.id) ?? []));
    },

    /** With `usedBy`: the flows whose `app` steps name it. */
    async get(r: ProjectRequest, name: string): Promise<Installation> {
      const t = await enterProject(auth, r, "consumer.read");
      const view = await rows.view(store.db, await rows.load(store.db, t, name));
      return { ...view, usedBy: await rows.usedBy(store.db, t, name) };
    },

    async create(r: ProjectRequest, input: InstallationInput): Promise<Installation> {
      const t = await enterProject(auth, r, "consumer.create", { type: "installation", name: input.name });
      const used = check(input, t);
      const at = nowIso();
      const row: ConsumerRow = {
        id: newId(),
        org_id: t.access.org.id,
        project_id: t.project.id,
        kind: "installation",
        ...rowFields(input),
        created_at: at,
        updated_at: at,
      };
      return change(t, changeOf(t, "consumer.create", input.name), async (tx) => {
        await records.insert(tx, row, await refsFor(tx, t, input, used));
        return saved(tx, row);
      });
    },

    async update(r: ProjectRequest, name: string, input: InstallationInput): Promise<Installation> {
      const t = await enterProject(auth, r, "consumer.update", { type: "installation", name });
      if (input.name !== name) {
        throw new AppError("invalid_request", "an installation's name is its key and cannot change", {
          fields: [{ field: "body.name", message: `must be ${safe(name)}` }],
        });
      }
      const used = check(input, t);
      return change(t, changeOf(t, "consumer.update", name), async (tx) => {
        const before = await rows.load(tx, t, name);
        const fields = { ...rowFields(input), updated_at: nowIso() };
        await records.update(tx, before.id, fields, await refsFor(tx, t, input, used));
        return saved(tx, { ...before, ...fields });
      });
    },

    /** Refused (409 `installation_in_use`, `details.usedBy`) while a flow's `app` step names it. */
    async remove(r: ProjectRequest, name: string): Promise<void> {
      const t = await enterProject(auth, r, "consumer.delete", { type: "installation", name });
      const target = { type: "installation", name };
      await change(t, { action: "consumer.delete", target }, async (tx) => {
        // Held until the delete commits: a flow save naming it waits, then finds it gone (decision 0255).
        const row = await rows.load(tx, t, name, { dialect: deps.store.dialect, mode: "update" });
        const usedBy = await rows.usedBy(tx, t, name);
        if (usedBy.length > 0) {
          const flows = usedBy.map((f) => f.name).join(", ");
          throw new AppError(
            "installation_in_use",
            `installation ${row.name} is used by ${usedBy.length} flow(s) (${flows}); remove their app steps first`,
            { usedBy },
          );
        }
        const names = (await records.declaredNames(tx, [row.id])).get(row.id) ?? [];
        await records.remove(tx, row.id);
        return { target: { ...target, id: row.id }, result: undefined, details: { secrets: names } };
      });
    },
  };
}

/** Reading installation rows through the consumers domain's records. */
function createInstallationRows(deps: Pick<InstallationsDeps, "records">) {
  const { records } = deps;
  return {
    async load(db: Tx, t: ProjectTarget, name: string, lock?: RowLock): Promise<ConsumerRow> {
      const where = { projectId: t.project.id, kind: "installation" as const, name };
      const row = await records.findByName(db, where, lock);
      if (!row) throw new AppError("not_found", `no installation ${safe(name)} in project ${t.project.slug}`);
      return row;
    },
    async view(db: Tx, row: ConsumerRow): Promise<Installation> {
      const names = await records.declaredNames(db, [row.id]);
      return toView(row, names.get(row.id) ?? []);
    },
    /** The flows whose `app` steps name the installation (X4, X8). */
    async usedBy(db: Tx, t: ProjectTarget, name: string) {
      const flows = await records.flowsUsingInstallation(db, { projectId: t.project.id, installation: name });
      return flows.map((f) => ({ kind: "flow" as const, id: f.id, name: f.name }));
    },
  };
}

/** An installation is never triggered by events: no filter, never enabled (matchingConsumerIds skips it). */
function rowFields(input: InstallationInput): Pick<ConsumerRow, "name" | "event" | "enabled" | "config"> {
  const config: InstallationConfig = {
    app: input.app,
    baseUrl: input.baseUrl,
    config: input.config,
    timeoutMs: input.timeoutMs,
  };
  return { name: input.name, event: "", enabled: 0, config: JSON.stringify(config) };
}

function toView(row: ConsumerRow, secrets: string[]): Installation {
  const c = installationConfigOf(row);
  return {
    name: row.name,
    app: c.app,
    baseUrl: c.baseUrl,
    secrets,
    config: c.config,
    timeoutMs: c.timeoutMs ?? LIMITS.integrationTimeoutMs,
  };
}

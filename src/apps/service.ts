/**
 * App installations (SPEC X8): create, read, replace and delete, keyed by name, and an action run now.
 * An installation is a consumer (kind `installation`): saving checks its configuration against the app,
 * then writes the row, its `consumer_secrets` and the audit entry in one transaction, so usage counts,
 * `usedBy` and the delete guard of secrets name it (S5, S6, X7, A2), as for integrations (decision 0114).
 */
import type { AuditLog } from "../audit/types.js";
import { orgAudited } from "../auth/audited.js";
import { sameSecretTwice, undeclaredNames } from "../consumers/fns.js";
import {
  enterProject,
  type ProjectAuth,
  type ProjectRequest,
  type ProjectTarget,
  raceWithDelete,
} from "../consumers/service.js";
import {
  type ConsumerRow,
  declaredNames,
  deleteConsumer,
  insertConsumer,
  setConsumerSecrets,
  updateConsumer,
} from "../consumers/store.js";
import { AppError } from "../errors.js";
import type { SecretResolver } from "../secrets/types.js";
import type { Store, Tx } from "../store/db.js";
import { newId, nowIso } from "../store/ids.js";
import { catalog, findApp } from "./catalog/index.js";
import { checkConfig, SECRET_FIELD_MESSAGE, safe } from "./fns.js";
import type { Installation, InstallationConfig, InstallationInput } from "./schema.js";
import { findInstallationRow, listInstallationRows, parseInstallationConfig } from "./store.js";

export interface InstallationsDeps {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
  auth: ProjectAuth;
  secrets: Pick<SecretResolver, "declared">;
  /** CLOAKROOM_ALLOW_PRIVATE_TARGETS: a literal private or loopback base URL is then accepted, as at run time. */
  allowPrivateTargets?: boolean;
}

export interface InstallationsService {
  list(r: ProjectRequest): Promise<Installation[]>;
  get(r: ProjectRequest, name: string): Promise<Installation>;
  create(r: ProjectRequest, input: InstallationInput): Promise<Installation>;
  update(r: ProjectRequest, name: string, input: InstallationInput): Promise<Installation>;
  remove(r: ProjectRequest, name: string): Promise<void>;
}

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

export function createInstallationsService(deps: InstallationsDeps): InstallationsService {
  const { store, auth, secrets } = deps;
  const audited = orgAudited({ store, audit: deps.audit });

  async function loadRow(db: Tx, t: ProjectTarget, name: string): Promise<ConsumerRow> {
    const row = await findInstallationRow(db, t.project.id, name);
    if (!row) throw new AppError("not_found", `no installation ${safe(name)} in project ${t.project.slug}`);
    return row;
  }

  async function view(db: Tx, row: ConsumerRow): Promise<Installation> {
    const names = await declaredNames(db, [row.id]);
    return toView(row, names.get(row.id) ?? []);
  }

  /** Checks that need no database: the app, its fields, the secrets the fields use against `secrets`. */
  function check(input: InstallationInput, t: ProjectTarget): void {
    const app = findApp(input.app);
    if (!app) {
      const ids = catalog.map((a) => a.id).join(", ");
      throw new AppError("invalid_request", `unknown app; the catalog has ${ids}`, {
        fields: [{ field: "body.app", message: `must be one of ${ids}` }],
      });
    }
    const c = checkConfig(app, input, { allowPrivate: deps.allowPrivateTargets ?? false });
    if (c.problems.length > 0) {
      const message = c.secretMisuse
        ? SECRET_FIELD_MESSAGE
        : `invalid ${c.problems.map((p) => p.field).join(", ")}`;
      throw new AppError("invalid_request", message, { fields: c.problems });
    }
    const undeclared = undeclaredNames(c.used, input.secrets, t.access.org.namingPolicy);
    if (undeclared.length > 0) {
      throw new AppError(
        "invalid_request",
        `the configuration uses secrets the installation does not declare: ${undeclared.join(", ")}`,
        {
          fields: [{ field: "body.secrets", message: `add ${undeclared.join(", ")} to secrets` }],
          undeclared,
        },
      );
    }
  }

  /** Declared names → secret ids, inside the saving transaction (as consumers/service.ts does). */
  async function resolveDeclared(tx: Tx, t: ProjectTarget, names: string[]) {
    const scope = { orgId: t.access.org.id, projectId: t.project.id };
    const { refs, missing } = await secrets.declared(tx, scope, names);
    if (missing.length > 0) {
      throw new AppError("invalid_request", `no such secrets: ${missing.join(", ")}`, {
        fields: [{ field: "body.secrets", message: `${missing.join(", ")} do not exist` }],
        missing,
      });
    }
    const twice = sameSecretTwice(refs);
    if (twice.length > 0) {
      const pairs = twice.map((n) => n.join(" and ")).join("; ");
      throw new AppError("invalid_request", `these declared names are the same secret: ${pairs}`, {
        fields: [{ field: "body.secrets", message: "declare each secret once" }],
      });
    }
    return refs;
  }

  /** The audited change of one installation: its entry names it and the project (A1, A2). */
  function change<T>(
    t: ProjectTarget,
    action: "consumer.create" | "consumer.update" | "consumer.delete",
    name: string,
    fn: (tx: Tx) => Promise<{ row: ConsumerRow; result: T; details: Record<string, unknown> }>,
  ): Promise<T> {
    const target = { type: "installation", name };
    const unique = {
      code: "name_taken" as const,
      message: `an installation named ${safe(name)} already exists in project ${t.project.slug}`,
    };
    return audited(t.access, { action, target, unique }, async (tx, entry) => {
      const { row, result, details } = await fn(tx);
      entry.target = { type: "installation", id: row.id, name: row.name };
      entry.details = { project: t.project.slug, ...details };
      return result;
    });
  }

  return {
    async list(r) {
      const t = await enterProject(auth, r, "consumer.read");
      const rows = await listInstallationRows(store.db, t.project.id);
      const names = await declaredNames(
        store.db,
        rows.map((row) => row.id),
      );
      return rows.map((row) => toView(row, names.get(row.id) ?? []));
    },

    async get(r, name) {
      const t = await enterProject(auth, r, "consumer.read");
      return view(store.db, await loadRow(store.db, t, name));
    },

    async create(r, input) {
      const t = await enterProject(auth, r, "consumer.create", { type: "installation", name: input.name });
      check(input, t);
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
      return change(t, "consumer.create", input.name, async (tx) => {
        const refs = await resolveDeclared(tx, t, input.secrets);
        await insertConsumer(tx, row);
        await setConsumerSecrets(tx, row.id, refs).catch(raceWithDelete);
        const saved = await view(tx, row);
        return { row, result: saved, details: { app: saved.app, secrets: saved.secrets } };
      });
    },

    async update(r, name, input) {
      const t = await enterProject(auth, r, "consumer.update", { type: "installation", name });
      if (input.name !== name) {
        throw new AppError("invalid_request", "an installation's name is its key and cannot change", {
          fields: [{ field: "body.name", message: `must be ${safe(name)}` }],
        });
      }
      check(input, t);
      return change(t, "consumer.update", name, async (tx) => {
        const before = await loadRow(tx, t, name);
        const refs = await resolveDeclared(tx, t, input.secrets);
        const after = { ...before, ...rowFields(input), updated_at: nowIso() };
        await updateConsumer(tx, before.id, after);
        await setConsumerSecrets(tx, before.id, refs).catch(raceWithDelete);
        const saved = await view(tx, after);
        return { row: after, result: saved, details: { app: saved.app, secrets: saved.secrets } };
      });
    },

    async remove(r, name) {
      const t = await enterProject(auth, r, "consumer.delete", { type: "installation", name });
      await change(t, "consumer.delete", name, async (tx) => {
        const row = await loadRow(tx, t, name);
        const names = (await declaredNames(tx, [row.id])).get(row.id) ?? [];
        await deleteConsumer(tx, row.id);
        return { row, result: undefined, details: { secrets: names } };
      });
    },
  };
}

/** An installation is never triggered by events: no filter, never enabled (matchingConsumerIds skips it). */
function rowFields(input: InstallationInput): Pick<ConsumerRow, "name" | "event" | "enabled" | "config"> {
  const config: InstallationConfig = { app: input.app, baseUrl: input.baseUrl, config: input.config };
  return { name: input.name, event: "", enabled: 0, config: JSON.stringify(config) };
}

function toView(row: ConsumerRow, secrets: string[]): Installation {
  const c = parseInstallationConfig(row);
  return { name: row.name, app: c.app, baseUrl: c.baseUrl, secrets, config: c.config };
}

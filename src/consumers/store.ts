/**
 * Consumer rows and their declared secrets. `consumer_secrets` is the one record of what a consumer
 * declares: the secrets domain counts usage and guards deletes from it, so it changes in the same
 * transaction as the consumer.
 */
import { sql } from "kysely";
import type { Dialect, Tx } from "../store/db.js";
import { groupRows } from "../store/rows.js";
import type { ConsumersTable } from "../store/schema.js";
import type { FlowConfig } from "./flow-schema.js";
import type { Consumer, ConsumerKind, IntegrationConfig, LogicConfig } from "./schema.js";
import type { TemplateConfig } from "./template-schema.js";
import { templateConsumer } from "./templates.js";

export type ConsumerRow = ConsumersTable;
/** A stored consumer's kind: the API's kinds and app installations (X8), which are consumer rows too. */
export type StoredKind = ConsumerRow["kind"];

export async function insertConsumer(tx: Tx, row: ConsumerRow): Promise<void> {
  await tx.insertInto("consumers").values(row).execute();
}

export async function updateConsumer(
  tx: Tx,
  id: string,
  fields: Pick<ConsumerRow, "name" | "event" | "enabled" | "config" | "updated_at">,
): Promise<void> {
  await tx.updateTable("consumers").set(fields).where("id", "=", id).execute();
}

export async function deleteConsumer(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom("consumer_secrets").where("consumer_id", "=", id).execute();
  await tx.deleteFrom("consumers").where("id", "=", id).execute();
}

/** Replaces what a consumer declares; `refs` come from the secrets domain's lookup in the same `tx`. */
export async function setConsumerSecrets(
  tx: Tx,
  consumerId: string,
  refs: { name: string; secretId: string }[],
): Promise<void> {
  await tx.deleteFrom("consumer_secrets").where("consumer_id", "=", consumerId).execute();
  if (refs.length === 0) return;
  await tx
    .insertInto("consumer_secrets")
    .values(refs.map((r) => ({ consumer_id: consumerId, secret_id: r.secretId, name: r.name })))
    .execute();
}

export async function findConsumerRow(
  db: Tx,
  where: { projectId: string; kind?: ConsumerKind; id: string },
): Promise<ConsumerRow | undefined> {
  let query = db
    .selectFrom("consumers")
    .selectAll()
    .where("id", "=", where.id)
    .where("project_id", "=", where.projectId);
  if (where.kind) query = query.where("kind", "=", where.kind);
  return query.executeTakeFirst();
}

/** A consumer of a kind keyed by name in its project (an installation: its partial unique index). */
/**
 * A consumer by name. `lock`, on PostgreSQL, holds the row until the transaction ends: `update` for a
 * delete that first checks what uses it, `keyShare` for a save that names it (it waits for a delete, and
 * a delete waits for it; an ordinary update of the row does not). SQLite's write transactions already
 * exclude each other.
 */
export async function findConsumerRowByName(
  db: Tx,
  where: { projectId: string; kind: StoredKind; name: string },
  lock?: RowLock,
): Promise<ConsumerRow | undefined> {
  const q = db
    .selectFrom("consumers")
    .selectAll()
    .where("project_id", "=", where.projectId)
    .where("kind", "=", where.kind)
    .where("name", "=", where.name);
  if (lock?.dialect !== "postgres") return q.executeTakeFirst();
  return (lock.mode === "update" ? q.forUpdate() : q.forKeyShare()).executeTakeFirst();
}

export type RowLock = { dialect: Dialect; mode: "update" | "keyShare" };

export async function listConsumerRows(
  db: Tx,
  projectId: string,
  kind: StoredKind,
  order: "id" | "name" = "id",
): Promise<ConsumerRow[]> {
  return db
    .selectFrom("consumers")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("kind", "=", kind)
    .orderBy(order)
    .execute();
}

/**
 * The flows of a project with an `app` step naming `installation` (X8), sorted by name. The text search only
 * narrows the rows (`_` is a LIKE wildcard, so it may find more); the parsed steps decide.
 */
export async function flowsUsingInstallation(db: Tx, where: { projectId: string; installation: string }) {
  const { projectId, installation } = where;
  const rows = await db
    .selectFrom("consumers")
    .select(["id", "name", "config"])
    .where("project_id", "=", projectId)
    .where("kind", "=", "flow")
    .where("config", "like", `%"installation":${JSON.stringify(installation)}%`)
    .orderBy("name")
    .execute();
  return rows
    .filter((row) =>
      (JSON.parse(row.config) as FlowConfig).steps.some(
        (step) => step.type === "app" && step.installation === installation,
      ),
    )
    .map((row) => ({ id: row.id, name: row.name }));
}

export async function consumerRowsByIds(db: Tx, ids: string[]): Promise<ConsumerRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom("consumers").selectAll().where("id", "in", ids).execute();
}

/** Declared names per consumer, sorted; consumers declaring nothing map to []. */
export async function declaredNames(db: Tx, consumerIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(consumerIds.map((id) => [id, []]));
  if (consumerIds.length === 0) return out;
  const rows = await db
    .selectFrom("consumer_secrets")
    .select(["consumer_id", "name"])
    .where("consumer_id", "in", consumerIds)
    .orderBy("name")
    .execute();
  return groupRows(
    rows,
    (r) => r.consumer_id,
    (r) => r.name,
    out,
  );
}

/**
 * Enabled consumers of a project whose event filter is a prefix of `eventName` (an empty filter matches
 * everything). A prefix test with substr rather than LIKE: a filter may contain `%` or `_`.
 */
export async function matchingConsumerIds(tx: Tx, projectId: string, eventName: string): Promise<string[]> {
  const rows = await tx
    .selectFrom("consumers")
    .select("id")
    .where("project_id", "=", projectId)
    .where("enabled", "=", 1)
    .where(sql<boolean>`substr(cast(${eventName} as text), 1, length(event)) = event`)
    .orderBy("id")
    .execute();
  return rows.map((r) => r.id);
}

/** A stored row and its declared names as the runtime and the API see it. */
export function toConsumer(row: ConsumerRow, secrets: string[]): Consumer {
  const base = {
    id: row.id,
    orgId: row.org_id,
    projectId: row.project_id,
    name: row.name,
    event: row.event,
    enabled: row.enabled === 1,
    secrets,
  };
  if (row.kind === "template") return templateConsumer(base, JSON.parse(row.config) as TemplateConfig);
  if (row.kind === "integration") {
    const config = JSON.parse(row.config) as IntegrationConfig;
    return { ...base, kind: "integration", request: config.request, timeoutMs: config.timeoutMs };
  }
  if (row.kind === "flow")
    return { ...base, kind: "flow", steps: (JSON.parse(row.config) as FlowConfig).steps };
  const config = JSON.parse(row.config) as LogicConfig;
  return {
    ...base,
    kind: "logic",
    code: config.code,
    timeoutMs: config.timeoutMs,
    memoryMb: config.memoryMb,
  };
}

export async function loadConsumers(db: Tx, ids: string[]): Promise<Map<string, Consumer>> {
  const rows = await consumerRowsByIds(db, ids);
  const names = await declaredNames(
    db,
    rows.map((r) => r.id),
  );
  return new Map(rows.map((row) => [row.id, toConsumer(row, names.get(row.id) ?? [])]));
}

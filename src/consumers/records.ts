/**
 * Consumer rows as other domains reach them: app installations (X8) are consumer rows keyed by name, and
 * their saves must keep `consumer_secrets` (usage counts, `usedBy`, the delete guard of secrets: S5, S6, X7)
 * exactly as consumers do. The composition root hands `consumerRecords` to the apps domain, which never
 * reads this domain's store itself. Every method takes the caller's transaction (or the store's db).
 */
import { AppError } from "../errors.js";
import type { Tx } from "../store/db.js";
import {
  type ConsumerRow,
  declaredNames,
  deleteConsumer,
  findConsumerRowByName,
  flowsUsingInstallation,
  insertConsumer,
  listConsumerRows,
  type RowLock,
  type StoredKind,
  setConsumerSecrets,
  updateConsumer,
} from "./store.js";

export type { ConsumerRow, RowLock, StoredKind } from "./store.js";

/** A declared name and the secret it points at, from the secrets domain's lookup in the same transaction. */
export type DeclaredRef = { name: string; secretId: string };

export interface ConsumerRecords {
  findByName(
    db: Tx,
    where: { projectId: string; kind: StoredKind; name: string },
    lock?: RowLock,
  ): Promise<ConsumerRow | undefined>;
  list(db: Tx, projectId: string, kind: StoredKind, order: "id" | "name"): Promise<ConsumerRow[]>;
  /** Declared names per consumer, sorted. */
  declaredNames(db: Tx, consumerIds: string[]): Promise<Map<string, string[]>>;
  /** The row and what it declares, together. */
  insert(tx: Tx, row: ConsumerRow, refs: DeclaredRef[]): Promise<void>;
  update(
    tx: Tx,
    id: string,
    fields: Pick<ConsumerRow, "name" | "event" | "enabled" | "config" | "updated_at">,
    refs: DeclaredRef[],
  ): Promise<void>;
  remove(tx: Tx, id: string): Promise<void>;
  /** The flows of a project whose `app` steps name an installation, sorted by name. */
  flowsUsingInstallation(
    db: Tx,
    where: { projectId: string; installation: string },
  ): Promise<{ id: string; name: string }[]>;
}

export const consumerRecords: ConsumerRecords = {
  findByName: findConsumerRowByName,
  list: listConsumerRows,
  declaredNames,
  async insert(tx, row, refs) {
    await insertConsumer(tx, row);
    await setConsumerSecrets(tx, row.id, refs).catch(raceWithDelete);
  },
  async update(tx, id, fields, refs) {
    await updateConsumer(tx, id, fields);
    await setConsumerSecrets(tx, id, refs).catch(raceWithDelete);
  },
  remove: deleteConsumer,
  flowsUsingInstallation,
};

/** A declared secret deleted between the lookup and the insert fails the foreign key: ask to retry. */
function raceWithDelete(error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
    throw new AppError("conflict", "a declared secret was deleted meanwhile; reload and save again");
  }
  throw error;
}

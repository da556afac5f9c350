/**
 * Data keys of each organization, wrapped by the root key (S10). A node keeps unwrapped data keys in memory
 * after first use, so a root-key rotation by `cloakroom keys rotate` does not interrupt running nodes.
 */

import type { Selectable } from "kysely";
import { rewrapAuditKey } from "../audit/key.js";
import {
  createDataKey,
  type DataKey,
  makeKeyCheck,
  type RootKey,
  rewrapDataKey,
  unwrapDataKey,
  verifyKeyCheck,
} from "../crypto/index.js";
import { AppError } from "../errors.js";
import type { Store, Tx } from "../store/db.js";
import { nowIso } from "../store/ids.js";
import type { DataKeysTable } from "../store/schema.js";

export interface Keyring {
  readonly rootKeyId: string;
  /** The organization's active data key, created (wrapped, stored) in `tx` on first use. */
  activeKey(tx: Tx, orgId: string): Promise<DataKey>;
  /** A data key by the id a ciphertext header names. */
  keyById(keyId: string): Promise<DataKey>;
  /** Unwraps every data key at start, so a later root-key rotation cannot interrupt this node. */
  preload(): Promise<void>;
}

export class RootKeyMismatchError extends Error {
  override readonly name = "RootKeyMismatchError";
}

const KCV = "root_key_check";
const KCV_ID = "root_key_id";

/** Checks the root key against the database's key-check value; writes one on a fresh database. */
export async function checkRootKey(store: Store, root: RootKey): Promise<"verified" | "initialized"> {
  const row = await store.db.selectFrom("meta").select("value").where("key", "=", KCV).executeTakeFirst();
  if (row) {
    if (verifyKeyCheck(root, row.value)) return "verified";
    const expected = await store.db
      .selectFrom("meta")
      .select("value")
      .where("key", "=", KCV_ID)
      .executeTakeFirst();
    throw new RootKeyMismatchError(
      `the root key (id ${root.id}) does not match this database (expects key id ${expected?.value ?? "unknown"}); ` +
        "pass the right CLOAKROOM_ROOT_KEY or key file. Nothing was changed.",
    );
  }
  await store.transaction(async (tx) => {
    await tx
      .insertInto("meta")
      .values([
        { key: KCV, value: makeKeyCheck(root) },
        { key: KCV_ID, value: root.id },
      ])
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
  });
  // Another node may have initialized first with another key: what is stored now must verify.
  await checkRootKey(store, root);
  return "initialized";
}

/** True when the database already has a key-check value (so a missing key file must not be re-created). */
export async function hasKeyCheck(store: Store): Promise<boolean> {
  const row = await store.db.selectFrom("meta").select("key").where("key", "=", KCV).executeTakeFirst();
  return row !== undefined;
}

export interface KeyringDeps {
  store: Store;
  rootKey: RootKey;
  /**
   * Reads the root key again from where it came from (the key file). After `cloakroom keys rotate`, a node
   * that meets a data key wrapped by the new root, or must wrap a new one, picks the new root up this way.
   */
  reloadRootKey?: () => Promise<RootKey>;
}

export function createKeyring(deps: KeyringDeps): Keyring {
  const { store } = deps;
  let root = deps.rootKey;
  const byId = new Map<string, DataKey>();
  const activeByOrg = new Map<string, string>();

  /** Makes `root` the key with id `wanted`, reloading it once; refuses when this node cannot have it. */
  async function rootFor(wanted: string): Promise<RootKey> {
    if (root.id === wanted) return root;
    const reloaded = deps.reloadRootKey ? await deps.reloadRootKey().catch(() => undefined) : undefined;
    if (reloaded?.id === wanted) {
      root = reloaded;
      return root;
    }
    throw new AppError(
      "unavailable",
      `the root key was rotated (now ${wanted}); restart this node with the new key (it has ${root.id})`,
    );
  }

  function unwrap(row: Selectable<DataKeysTable>, with_: RootKey): DataKey {
    const dk = unwrapDataKey(with_, {
      keyId: row.id,
      orgId: row.org_id,
      wrapped: row.wrapped,
      rootKeyId: row.root_key_id,
    });
    byId.set(dk.keyId, dk);
    return dk;
  }

  return {
    get rootKeyId() {
      return root.id;
    },
    async preload() {
      const rows = await store.db.selectFrom("data_keys").selectAll().execute();
      for (const row of rows) {
        if (row.root_key_id !== root.id) continue;
        const dk = unwrap(row, root);
        if (row.active === 1) activeByOrg.set(row.org_id, dk.keyId);
      }
    },
    async activeKey(tx, orgId) {
      const cachedId = activeByOrg.get(orgId);
      const cached = cachedId ? byId.get(cachedId) : undefined;
      if (cached) return cached;
      const row = await tx
        .selectFrom("data_keys")
        .selectAll()
        .where("org_id", "=", orgId)
        .where("active", "=", 1)
        .orderBy("created_at", "desc")
        .executeTakeFirst();
      if (row) {
        const dk = unwrap(row, await rootFor(row.root_key_id));
        activeByOrg.set(orgId, dk.keyId);
        return dk;
      }
      // A new data key must be wrapped by the root key the database expects now, never by a rotated one.
      const expected = await tx
        .selectFrom("meta")
        .select("value")
        .where("key", "=", KCV_ID)
        .executeTakeFirst();
      const current = expected ? await rootFor(expected.value) : root;
      const { dataKey, wrapped } = createDataKey(current, orgId);
      await tx
        .insertInto("data_keys")
        .values({
          id: wrapped.keyId,
          org_id: orgId,
          wrapped: wrapped.wrapped,
          root_key_id: wrapped.rootKeyId,
          created_at: nowIso(),
          active: 1,
        })
        .execute();
      // Cached before commit: a rolled-back key is simply never referenced by a ciphertext.
      byId.set(dataKey.keyId, dataKey);
      activeByOrg.set(orgId, dataKey.keyId);
      return dataKey;
    },
    async keyById(keyId) {
      const cached = byId.get(keyId);
      if (cached) return cached;
      const row = await store.db
        .selectFrom("data_keys")
        .selectAll()
        .where("id", "=", keyId)
        .executeTakeFirst();
      if (!row) throw new AppError("internal", `data key ${keyId} is missing`);
      return unwrap(row, await rootFor(row.root_key_id));
    },
  };
}

/**
 * Rewraps every data key under a new root key in one transaction and moves the key-check value with it.
 * Running nodes keep their unwrapped data keys, so they go on serving; they need the new root key only when
 * they next start (or to unwrap a key they have never seen).
 */
export async function rotateRootKey(
  store: Store,
  oldRoot: RootKey,
  newRoot: RootKey,
  /** Writes the audit entry inside the rewrap's transaction (A2): a rotation that cannot be audited does not happen. */
  audit?: (tx: Tx, rewrapped: number) => Promise<void>,
): Promise<{ rewrapped: number }> {
  await checkRootKey(store, oldRoot);
  return store.transaction(async (tx) => {
    const rows = await tx.selectFrom("data_keys").selectAll().execute();
    for (const row of rows) {
      const next = rewrapDataKey(oldRoot, newRoot, {
        keyId: row.id,
        orgId: row.org_id,
        wrapped: row.wrapped,
        rootKeyId: row.root_key_id,
      });
      await tx
        .updateTable("data_keys")
        .set({ wrapped: next.wrapped, root_key_id: next.rootKeyId })
        .where("id", "=", row.id)
        .execute();
    }
    await tx
      .updateTable("meta")
      .set({ value: makeKeyCheck(newRoot) })
      .where("key", "=", KCV)
      .execute();
    await tx.updateTable("meta").set({ value: newRoot.id }).where("key", "=", KCV_ID).execute();
    // The audit chain's key is wrapped like a data key: it moves too, so every entry still verifies.
    await rewrapAuditKey(tx, oldRoot, newRoot);
    await audit?.(tx, rows.length);
    return { rewrapped: rows.length };
  });
}

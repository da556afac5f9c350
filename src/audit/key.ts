/**
 * The key of the audit chain's HMAC (A3). A random 32-byte key, stored in `meta` wrapped by the root key,
 * exactly like an organization's data key: someone who can write the database but does not hold the root
 * key cannot compute a single valid entry hash, so cannot rewrite the chain and rehash it. A wrapped random
 * key rather than a key derived from the root key, so that `keys rotate` rewraps it and every entry written
 * before a rotation still verifies. See docs/decisions/0155-keyed-audit-chain-and-anchors.md.
 */
import {
  createDataKey,
  type RootKey,
  rewrapDataKey,
  unwrapDataKey,
  type WrappedDataKey,
} from "../crypto/index.js";
import type { Store, Tx } from "../store/db.js";

/** The `meta` row holding the wrapped key. */
export const AUDIT_KEY_META = "audit_chain_key";
/** Bound into the wrapping's AAD in place of an organization id: this key can open nothing else. */
const AUDIT_KEY_OWNER = "_audit_chain";

function parse(value: string): WrappedDataKey {
  const parsed = JSON.parse(value) as Partial<WrappedDataKey>;
  return {
    keyId: String(parsed.keyId),
    orgId: AUDIT_KEY_OWNER,
    wrapped: String(parsed.wrapped),
    rootKeyId: String(parsed.rootKeyId),
  };
}

function serialize(w: WrappedDataKey): string {
  return JSON.stringify({ keyId: w.keyId, wrapped: w.wrapped, rootKeyId: w.rootKeyId });
}

async function read(store: Pick<Store, "db">): Promise<string | undefined> {
  const row = await store.db
    .selectFrom("meta")
    .select("value")
    .where("key", "=", AUDIT_KEY_META)
    .executeTakeFirst();
  return row?.value;
}

/**
 * The audit key, created on first use. Nodes starting together race to create it: the first insert wins
 * (`on conflict do nothing`) and everyone uses what is stored.
 */
export async function loadAuditKey(store: Store, root: RootKey): Promise<Buffer> {
  let stored = await read(store);
  if (stored === undefined) {
    const { dataKey, wrapped } = createDataKey(root, AUDIT_KEY_OWNER);
    dataKey.key.fill(0);
    await store.transaction(async (tx) => {
      await tx
        .insertInto("meta")
        .values({ key: AUDIT_KEY_META, value: serialize(wrapped) })
        .onConflict((oc) => oc.column("key").doNothing())
        .execute();
    });
    stored = await read(store);
  }
  if (stored === undefined) throw new Error("the audit key could not be stored");
  return unwrapDataKey(root, parse(stored)).key;
}

/** The audit key when the database has one (a database from before keyed chains has none). */
export async function findAuditKey(store: Store, root: RootKey): Promise<Buffer | undefined> {
  const stored = await read(store);
  return stored === undefined ? undefined : unwrapDataKey(root, parse(stored)).key;
}

/** For `keys rotate`, inside its transaction: the audit key moves to the new root key with the data keys. */
export async function rewrapAuditKey(tx: Tx, oldRoot: RootKey, newRoot: RootKey): Promise<boolean> {
  const row = await tx
    .selectFrom("meta")
    .select("value")
    .where("key", "=", AUDIT_KEY_META)
    .executeTakeFirst();
  if (!row) return false;
  const next = rewrapDataKey(oldRoot, newRoot, parse(row.value));
  await tx
    .updateTable("meta")
    .set({ value: serialize(next) })
    .where("key", "=", AUDIT_KEY_META)
    .execute();
  return true;
}

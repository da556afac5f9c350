import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decryptField, encryptField, generateRootKey, keyIdOf } from "../crypto/index.js";
import { AppError } from "../errors.js";
import { newId, nowIso } from "../store/ids.js";
import { type TestStore, testDatabases } from "../testing/databases.js";
import { checkRootKey, createKeyring, RootKeyMismatchError, rotateRootKey } from "./keyring.js";

for (const database of testDatabases()) {
  describe(`keyring on ${database.name}`, () => {
    let store: TestStore;
    const orgs = [newId(), newId(), newId()];
    const seed = async (s: TestStore) => {
      for (const [i, id] of orgs.entries()) {
        await s.db
          .insertInto("orgs")
          .values({
            id,
            slug: `o${i}`,
            name: "O",
            naming_policy: "upper_snake",
            editors_manage_secrets: 0,
            versions_kept: 10,
            created_at: nowIso(),
          })
          .execute();
      }
    };
    before(async () => {
      store = await database.open();
      await seed(store);
    });
    after(() => store.dispose());

    const binding = (orgId: string) => ({ orgId, secretId: "s1", version: 1, field: "value" });

    it("a wrong root key stops start-up with a message naming key ids, never keys", async () => {
      const root = generateRootKey();
      assert.equal(await checkRootKey(store, root), "initialized");
      assert.equal(await checkRootKey(store, root), "verified");
      const wrong = generateRootKey();
      await assert.rejects(checkRootKey(store, wrong), (e: unknown) => {
        assert.ok(e instanceof RootKeyMismatchError);
        assert.match(e.message, new RegExp(root.id));
        assert.ok(!e.message.includes(wrong.key.toString("base64")));
        return true;
      });
    });

    it("a running node keeps decrypting after the root key is rotated underneath it", async () => {
      const oldRoot = generateRootKey();
      const s2 = await database.open();
      await seed(s2);
      try {
        await checkRootKey(s2, oldRoot);
        const node = createKeyring({ store: s2, rootKey: oldRoot });
        const dk = await s2.transaction((tx) => node.activeKey(tx, orgs[0]!));
        const ct = encryptField(dk, binding(orgs[0]!), "value-before-rotation");
        const newRoot = generateRootKey();
        const { rewrapped } = await rotateRootKey(s2, oldRoot, newRoot);
        assert.equal(rewrapped, 1);
        // The running node still serves the value it could read before.
        const key = await node.keyById(keyIdOf(ct));
        assert.equal(
          decryptField(() => key, binding(orgs[0]!), ct),
          "value-before-rotation",
        );
        // A node started afterwards with the new key reads it too; the old key no longer starts.
        await checkRootKey(s2, newRoot);
        await assert.rejects(checkRootKey(s2, oldRoot), RootKeyMismatchError);
        const fresh = createKeyring({ store: s2, rootKey: newRoot });
        const key2 = await fresh.keyById(keyIdOf(ct));
        assert.equal(
          decryptField(() => key2, binding(orgs[0]!), ct),
          "value-before-rotation",
        );

        // A node that cannot learn the new key refuses to wrap a new data key with the old one...
        await assert.rejects(
          s2.transaction((tx) => node.activeKey(tx, orgs[1]!)),
          (e: unknown) => e instanceof AppError && e.code === "unavailable",
        );
        // ...and a node that can reload its key file picks up the new key and goes on.
        const reloading = createKeyring({ store: s2, rootKey: oldRoot, reloadRootKey: async () => newRoot });
        const dk3 = await s2.transaction((tx) => reloading.activeKey(tx, orgs[2]!));
        const row = await s2.db
          .selectFrom("data_keys")
          .selectAll()
          .where("id", "=", dk3.keyId)
          .executeTakeFirstOrThrow();
        assert.equal(row.root_key_id, newRoot.id);
      } finally {
        await s2.dispose();
      }
    });
  });
}

/**
 * The per-node lookup cache (lookup-cache.ts, decisions 0153 and 0325): a change naming its row drops that
 * row alone, so a sign-out any user can make does not empty everyone's cache; a change without a key drops
 * everything; a lookup in flight while anything is dropped is not kept.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../logger.js";
import { openStore } from "../store/db.js";
import { createNotifications } from "../store/notifications.js";
import type { Store } from "../store/types.js";
import { tempDir } from "../testing/databases.js";
import { type AuthLookupCache, createAuthLookupCache, roleKey, sessionKey } from "./lookup-cache.js";

describe("the auth lookup cache on one SQLite node", () => {
  let store: Store;
  let cache: AuthLookupCache;
  const loads: string[] = [];
  const lookup = (key: string) =>
    cache.get(key, async () => {
      loads.push(key);
      return { key };
    });

  before(async () => {
    store = await openStore({ dataDir: tempDir() });
    const notifications = createNotifications({ store, logger: createLogger({ level: "silent" }) });
    cache = createAuthLookupCache({ notifications, ttlMs: 60_000 });
    notifications.start();
  });
  after(() => store.close());

  it("keeps a row, and a sign-out or a role change drops only its own row", async () => {
    const mine = sessionKey("a".repeat(64));
    const theirs = sessionKey("b".repeat(64));
    const role = roleKey("org", "user");
    for (const key of [mine, theirs, role, mine, theirs, role]) await lookup(key);
    assert.deepEqual(loads.splice(0), [mine, theirs, role]);
    await store.transaction((tx) => cache.changed(tx, mine));
    for (const key of [mine, theirs, role]) await lookup(key);
    assert.deepEqual(loads.splice(0), [mine], "a sign-out dropped rows other than its session");
    cache.drop(role);
    for (const key of [mine, theirs, role]) await lookup(key);
    assert.deepEqual(loads.splice(0), [role]);
  });

  it("a change without a key drops everything, and a lookup in flight meanwhile is not kept", async () => {
    const key = sessionKey("c".repeat(64));
    await lookup(key);
    loads.splice(0);
    await store.transaction((tx) => cache.changed(tx));
    await lookup(key);
    assert.deepEqual(loads.splice(0), [key]);
    const other = roleKey("org", "other");
    let release: () => void = () => {};
    const inFlight = cache.get(
      other,
      () => new Promise<{ key: string }>((r) => (release = () => r({ key: other }))),
    );
    cache.drop(sessionKey("d".repeat(64)));
    release();
    await inFlight;
    await lookup(other);
    assert.deepEqual(loads.splice(0), [other], "a row read before a drop was cached");
  });
});

/** The store's conformance suite: the same expectations on SQLite and PostgreSQL. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { secretRow, seedProject, type TestStore, testDatabases } from "../testing/databases.js";
import { isUniqueViolation } from "./db.js";
import { newId, nowIso } from "./ids.js";

for (const database of testDatabases()) {
  describe(`store conformance on ${database.name}`, () => {
    let store: TestStore;
    const orgId = newId();
    const projectId = newId();

    before(async () => {
      store = await database.open();
      await seedProject(store, { orgId, projectId });
    });
    after(() => store.dispose());

    const secret = (name: string, project: string | null) =>
      secretRow({ orgId, projectId: project, name, by: "t" });

    it("migrations are idempotent: opening the same database again changes nothing", async () => {
      const { openStore } = await import("./db.js");
      const again = await openStore({ ...store.config });
      const tables = await again.db.selectFrom("orgs").select("id").execute();
      assert.equal(tables.length, 1);
      await again.close();
    });

    if (database.name === "sqlite") {
      it("the database file is readable by its owner only", async () => {
        const { statSync } = await import("node:fs");
        const { join } = await import("node:path");
        assert.equal(statSync(join(store.config.dataDir, "cloakroom.db")).mode & 0o777, 0o600);
      });
    }

    it("a name is unique per scope ignoring case, and the same name may live in org and project scope", async () => {
      await store.db.insertInto("secrets").values(secret("API_KEY", null)).execute();
      await store.db.insertInto("secrets").values(secret("API_KEY", projectId)).execute();
      for (const project of [null, projectId]) {
        await assert.rejects(
          store.db.insertInto("secrets").values(secret("api_key", project)).execute(),
          (e: unknown) => isUniqueViolation(e),
        );
      }
    });

    it("a failed transaction leaves nothing behind", async () => {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertInto("secrets").values(secret("ROLLED_BACK", null)).execute();
          throw new Error("boom");
        }),
      );
      const row = await store.db
        .selectFrom("secrets")
        .select("id")
        .where("name", "=", "ROLLED_BACK")
        .executeTakeFirst();
      assert.equal(row, undefined);
    });

    it("concurrent write transactions queue instead of failing", async () => {
      const names = Array.from({ length: 20 }, (_, i) => `CONCURRENT_${i}`);
      await Promise.all(
        names.map((name) =>
          store.transaction(async (tx) => {
            await tx.insertInto("secrets").values(secret(name, null)).execute();
          }),
        ),
      );
      const { n } = await store.db
        .selectFrom("secrets")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("name", "like", "CONCURRENT_%")
        .executeTakeFirstOrThrow();
      assert.equal(Number(n), 20);
      assert.equal(typeof n, "number");
    });

    it("deleting an organization cascades to its projects and secrets", async () => {
      const other = newId();
      await store.db
        .insertInto("orgs")
        .values({
          id: other,
          slug: "gone",
          name: "G",
          naming_policy: "alias",
          editors_manage_secrets: 0,
          versions_kept: 10,
          created_at: nowIso(),
        })
        .execute();
      await store.db
        .insertInto("secrets")
        .values({ ...secret("X", null), org_id: other })
        .execute();
      await store.db.deleteFrom("orgs").where("id", "=", other).execute();
      const left = await store.db.selectFrom("secrets").select("id").where("org_id", "=", other).execute();
      assert.deepEqual(left, []);
    });

    it("a secret referenced by a consumer cannot be deleted underneath it", async () => {
      const s = secret("REFERENCED", null);
      await store.db.insertInto("secrets").values(s).execute();
      const consumerId = newId();
      await store.db
        .insertInto("consumers")
        .values({
          id: consumerId,
          org_id: orgId,
          project_id: projectId,
          kind: "logic",
          name: "c",
          event: "",
          enabled: 1,
          config: "{}",
          created_at: nowIso(),
          updated_at: nowIso(),
        })
        .execute();
      await store.db
        .insertInto("consumer_secrets")
        .values({ consumer_id: consumerId, secret_id: s.id, name: "REFERENCED" })
        .execute();
      await assert.rejects(store.db.deleteFrom("secrets").where("id", "=", s.id).execute());
    });

    if (database.name === "postgres") {
      it("a notice sent in a transaction arrives only when it commits", async () => {
        const got: string[] = [];
        let resets = 0;
        const listener = store.listen!(["cloakroom_test"], {
          onMessage: (_channel, p) => got.push(p),
          onReset: (reason) => {
            if (reason !== "listening") resets++;
          },
        });
        await new Promise((r) => setTimeout(r, 300));
        await assert.rejects(
          store.transaction(async (tx) => {
            await sql`select pg_notify('cloakroom_test', 'rolled-back')`.execute(tx);
            throw new Error("boom");
          }),
        );
        await store.transaction(async (tx) => {
          await sql`select pg_notify('cloakroom_test', 'committed')`.execute(tx);
        });
        for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        await listener.stop();
        assert.deepEqual(got, ["committed"]);
        assert.equal(resets, 0);
      });
    }
  });
}

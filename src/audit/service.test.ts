import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { AppError } from "../errors.js";
import { newId } from "../store/ids.js";
import { auditEntry, makeOrg, TEST_AUDIT_KEY } from "../testing/audit.js";
import { type TestStore, testDatabases } from "../testing/databases.js";
import { createAuditLog } from "./service.js";
import type { AuditLog } from "./types.js";
import { verifyAuditChain } from "./verify.js";

const entry = auditEntry;

const rowsOf = (store: TestStore, chain: string) =>
  store.db.selectFrom("audit_log").selectAll().where("chain", "=", chain).orderBy("chain_seq").execute();

for (const database of testDatabases()) {
  describe(`audit log (${database.name})`, () => {
    let store: TestStore;
    let audit: AuditLog;
    before(async () => {
      store = await database.open();
      audit = createAuditLog({ store, key: TEST_AUDIT_KEY });
    });
    after(async () => {
      await store.dispose();
    });

    it("an entry appended in a transaction that rolls back is gone with the change", async () => {
      const orgId = await makeOrg(store, "rollback");
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx
            .insertInto("projects")
            .values({ id: newId(), org_id: orgId, slug: "web", name: "web", created_at: "t" })
            .execute();
          await audit.append(tx, { ...entry(orgId, 1), action: "project.create" });
          throw new Error("the change fails after auditing");
        }),
      );
      assert.equal((await rowsOf(store, orgId)).length, 0);
      assert.equal(
        (await store.db.selectFrom("projects").selectAll().where("org_id", "=", orgId).execute()).length,
        0,
      );
      assert.deepEqual(await verifyAuditChain(store, { key: TEST_AUDIT_KEY }), {
        ok: true,
        checked: (await store.db.selectFrom("audit_log").select("id").execute()).length,
      });
    });

    it("a change whose audit entry cannot be written does not happen (A2)", async () => {
      const orgId = await makeOrg(store, "unauditable");
      await audit.appendNow(entry(orgId, 1));
      // Wind the head back so the next append collides with entry 1 on (chain, chain_seq).
      await sql`update audit_heads set chain_seq = 0 where chain = ${orgId}`.execute(store.db);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx
            .insertInto("projects")
            .values({ id: newId(), org_id: orgId, slug: "web", name: "web", created_at: "t" })
            .execute();
          await audit.append(tx, { ...entry(orgId, 2), action: "project.create" });
        }),
      );
      assert.equal(
        (await store.db.selectFrom("projects").selectAll().where("org_id", "=", orgId).execute()).length,
        0,
      );
      await sql`update audit_heads set chain_seq = 1 where chain = ${orgId}`.execute(store.db);
    });

    it("entries are listed newest first and page with an entry id cursor", async () => {
      const orgId = await makeOrg(store, "paging");
      for (let n = 1; n <= 7; n++) await audit.appendNow(entry(orgId, n));
      const first = await audit.list(orgId, { limit: 3 });
      assert.deepEqual(
        first.map((e) => e.details.n),
        [7, 6, 5],
      );
      const second = await audit.list(orgId, { limit: 3, before: first[2]!.id });
      assert.deepEqual(
        second.map((e) => e.details.n),
        [4, 3, 2],
      );
      const third = await audit.list(orgId, { limit: 3, before: second[2]!.id });
      assert.deepEqual(
        third.map((e) => e.details.n),
        [1],
      );
      const e = first[0]!;
      assert.equal(e.orgId, orgId);
      assert.deepEqual(e.actor, { type: "user", id: "u-ann", name: "ann@example.com" });
      assert.deepEqual(e.target, { type: "secret", id: "s-7", name: "KEY_7" });
      assert.equal(e.outcome, "success");
      assert.equal(e.sourceIp, "10.0.0.1");
    });

    it("a cursor from another organization's log is refused, not followed", async () => {
      const a = await makeOrg(store, "cursor-a");
      const b = await makeOrg(store, "cursor-b");
      await audit.appendNow(entry(a, 1));
      await audit.appendNow(entry(b, 1));
      const [fromB] = await audit.list(b, { limit: 1 });
      await assert.rejects(
        audit.list(a, { limit: 10, before: fromB!.id }),
        (e) => e instanceof AppError && e.code === "invalid_request",
      );
      const listed = await audit.list(a, { limit: 10 });
      assert.ok(listed.every((x) => x.orgId === a));
    });

    it("details never keep a value, password or token", async () => {
      const orgId = await makeOrg(store, "details");
      await audit.appendNow({
        ...entry(orgId, 1),
        details: { value: "v4lue-xyz", password: "pw-xyz", token: "tk-xyz", secret: "s-xyz", kept: 1 },
      });
      const [row] = await rowsOf(store, orgId);
      assert.equal(row!.details, '{"kept":1}');
    });

    it("every chain verifies after ordinary appends, and counts its entries", async () => {
      await audit.appendNow(entry(null, 1));
      const total = (await store.db.selectFrom("audit_log").select("id").execute()).length;
      assert.deepEqual(await verifyAuditChain(store, { key: TEST_AUDIT_KEY }), { ok: true, checked: total });
    });
  });

  describe(`audit chain tampering (${database.name})`, () => {
    let store: TestStore;
    let audit: AuditLog;
    let orgId: string;
    const setup = async () => {
      store = await database.open();
      audit = createAuditLog({ store, key: TEST_AUDIT_KEY });
      orgId = await makeOrg(store, "tamper");
      for (let n = 1; n <= 5; n++) await audit.appendNow(entry(orgId, n));
      await audit.appendNow(entry(null, 1));
      assert.equal((await verifyAuditChain(store, { key: TEST_AUDIT_KEY })).ok, true);
    };
    const teardown = () => store.dispose();

    it("an edited entry is detected and named", async () => {
      await setup();
      const rows = await rowsOf(store, orgId);
      await sql`update audit_log set actor_name = ${"mallory@example.com"} where id = ${rows[2]!.id}`.execute(
        store.db,
      );
      const result = await verifyAuditChain(store, { key: TEST_AUDIT_KEY });
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.chain, orgId);
      assert.equal(result.seq, 3);
      assert.equal(result.id, rows[2]!.id);
      assert.match(result.reason, /edited/);
      await teardown();
    });

    it("an edit whose hash was recomputed is caught at the next entry's link", async () => {
      await setup();
      const rows = await rowsOf(store, orgId);
      // The forger knows the algorithm and fixes the edited row's own hash, but not the later links.
      const { entryHash } = await import("./chain.js");
      const target = rows[1]!;
      const forged = { ...target, outcome: "denied" as const };
      const { prev_hash: _p, hash: _h, ...fields } = forged;
      const hash = entryHash(target.prev_hash, fields, TEST_AUDIT_KEY);
      await sql`update audit_log set outcome = 'denied', hash = ${hash} where id = ${target.id}`.execute(
        store.db,
      );
      const result = await verifyAuditChain(store, { key: TEST_AUDIT_KEY });
      assert.ok(!result.ok);
      assert.equal(result.seq, 3);
      assert.match(result.reason, /link/);
      await teardown();
    });

    it("a removed entry is detected as a gap", async () => {
      await setup();
      const rows = await rowsOf(store, orgId);
      await sql`delete from audit_log where id = ${rows[1]!.id}`.execute(store.db);
      const result = await verifyAuditChain(store, { key: TEST_AUDIT_KEY });
      assert.ok(!result.ok);
      assert.equal(result.chain, orgId);
      assert.equal(result.seq, 2);
      assert.match(result.reason, /missing/);
      await teardown();
    });

    it("a removed last entry is detected against the chain head", async () => {
      await setup();
      const rows = await rowsOf(store, orgId);
      await sql`delete from audit_log where id = ${rows[4]!.id}`.execute(store.db);
      const result = await verifyAuditChain(store, { key: TEST_AUDIT_KEY });
      assert.ok(!result.ok);
      assert.equal(result.seq, 5);
      assert.match(result.reason, /missing/);
      await teardown();
    });

    it("two swapped entries are detected as reordered", async () => {
      await setup();
      const rows = await rowsOf(store, orgId);
      const a = rows[1]!.id;
      const b = rows[2]!.id;
      await store.transaction(async (tx) => {
        await sql`update audit_log set chain_seq = -1 where id = ${a}`.execute(tx);
        await sql`update audit_log set chain_seq = 2 where id = ${b}`.execute(tx);
        await sql`update audit_log set chain_seq = 3 where id = ${a}`.execute(tx);
      });
      const result = await verifyAuditChain(store, { key: TEST_AUDIT_KEY });
      assert.ok(!result.ok);
      assert.equal(result.seq, 2);
      assert.equal(result.id, b);
      assert.match(result.reason, /reordered/);
      await teardown();
    });

    it("an entry slipped in at the end without the head is detected", async () => {
      await setup();
      const rows = await rowsOf(store, orgId);
      const last = rows[4]!;
      const { entryHash } = await import("./chain.js");
      const { prev_hash: _p, hash: _h, ...fields } = last;
      const extra = { ...fields, id: newId(), chain_seq: 6 };
      await store.db
        .insertInto("audit_log")
        .values({ ...extra, prev_hash: last.hash, hash: entryHash(last.hash, extra, TEST_AUDIT_KEY) })
        .execute();
      const result = await verifyAuditChain(store, { key: TEST_AUDIT_KEY });
      assert.ok(!result.ok);
      assert.match(result.reason, /head/);
      await teardown();
    });

    it("a change in the system chain is detected as well", async () => {
      await setup();
      await sql`update audit_log set source_ip = '6.6.6.6' where chain = '_system'`.execute(store.db);
      const result = await verifyAuditChain(store, { key: TEST_AUDIT_KEY });
      assert.ok(!result.ok);
      assert.equal(result.chain, "_system");
      await teardown();
    });
  });

  describe(`audit concurrency (${database.name})`, () => {
    it("concurrent appends to one chain keep it gapless and valid", async () => {
      const store = await database.open();
      try {
        const audit = createAuditLog({ store, key: TEST_AUDIT_KEY });
        const orgId = await makeOrg(store, "busy");
        await Promise.all(Array.from({ length: 40 }, (_, n) => audit.appendNow(entry(orgId, n))));
        await Promise.all(
          Array.from({ length: 20 }, (_, n) =>
            store.transaction(async (tx) => {
              await audit.append(tx, entry(orgId, 100 + n));
              await audit.append(tx, entry(orgId, 200 + n));
            }),
          ),
        );
        const rows = await rowsOf(store, orgId);
        assert.deepEqual(
          rows.map((r) => r.chain_seq),
          Array.from({ length: 80 }, (_, i) => i + 1),
        );
        assert.deepEqual(await verifyAuditChain(store, { key: TEST_AUDIT_KEY }), { ok: true, checked: 80 });
      } finally {
        await store.dispose();
      }
    });
  });
}

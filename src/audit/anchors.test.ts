import assert from "node:assert/strict";
import { appendFile, readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { generateRootKey } from "../crypto/index.js";
import { auditEntry, makeOrg, TEST_AUDIT_KEY } from "../testing/audit.js";
import { type TestStore, tempDir, testDatabases } from "../testing/databases.js";
import { anchorFilePath, createAnchorer, readAnchors } from "./anchors.js";
import { entryHash, FORMAT_UNKEYED, GENESIS_HASH } from "./chain.js";
import { findAuditKey, loadAuditKey } from "./key.js";
import { createAuditLog } from "./service.js";
import { verifyAuditChain } from "./verify.js";

const silent = { warn() {}, error() {} };

const entry = auditEntry;

for (const database of testDatabases()) {
  describe(`audit anchors (${database.name})`, () => {
    let store: TestStore;
    let dataDir: string;
    let orgA: string;
    let orgB: string;

    /** Two organizations with 40 and 5 entries, anchored; then `verify` with what the anchor file says. */
    const setup = async () => {
      store = await database.open();
      dataDir = tempDir();
      const anchorer = createAnchorer({
        store,
        key: TEST_AUDIT_KEY,
        dataDir,
        intervalMs: 60_000,
        logger: silent,
      });
      const audit = createAuditLog({ store, key: TEST_AUDIT_KEY, onAppend: anchorer.markDirty });
      await anchorer.start();
      orgA = await makeOrg(store, "org-a");
      orgB = await makeOrg(store, "org-b");
      for (let n = 1; n <= 40; n++) await audit.appendNow(entry(orgA, n));
      for (let n = 1; n <= 5; n++) await audit.appendNow(entry(orgB, n));
      await anchorer.stop();
    };
    const verify = async () => {
      const anchors = await readAnchors(anchorFilePath(dataDir), TEST_AUDIT_KEY);
      return verifyAuditChain(store, { key: TEST_AUDIT_KEY, anchors: anchors?.latest });
    };
    before(setup);
    after(() => store.dispose());

    it("an untouched log verifies against its anchors", async () => {
      assert.deepEqual(await verify(), { ok: true, checked: 45 });
      const anchors = await readAnchors(anchorFilePath(dataDir), TEST_AUDIT_KEY);
      assert.equal(anchors?.latest.get(orgA)?.seq, 40);
      assert.equal(anchors?.latest.get(orgB)?.seq, 5);
      assert.equal((await stat(anchorFilePath(dataDir))).mode & 0o777, 0o600);
    });

    it("removing the last 30 entries and moving the head back fails against the anchor", async () => {
      const ten = await store.db
        .selectFrom("audit_log")
        .select("hash")
        .where("chain", "=", orgA)
        .where("chain_seq", "=", 10)
        .executeTakeFirstOrThrow();
      await sql`delete from audit_log where chain = ${orgA} and chain_seq > 10`.execute(store.db);
      await sql`update audit_heads set chain_seq = 10, hash = ${ten.hash} where chain = ${orgA}`.execute(
        store.db,
      );
      // Without the anchor the cut is invisible: that is what anchoring is for.
      assert.deepEqual(await verifyAuditChain(store, { key: TEST_AUDIT_KEY }), { ok: true, checked: 15 });
      const result = await verify();
      assert.ok(!result.ok);
      assert.equal(result.chain, orgA);
      assert.match(result.reason, /ends at entry 10 but was anchored at 40 entries/);
      await store.dispose();
      await setup();
    });

    it("deleting an organization's entries and head fails against the anchor", async () => {
      await sql`delete from audit_log where chain = ${orgB}`.execute(store.db);
      await sql`delete from audit_heads where chain = ${orgB}`.execute(store.db);
      const result = await verify();
      assert.ok(!result.ok);
      assert.equal(result.chain, orgB);
      assert.match(result.reason, /chain is missing: it was anchored at 5 entries/);
      await store.dispose();
      await setup();
    });

    it("deleting every entry and head fails against the anchors", async () => {
      await sql`delete from audit_log`.execute(store.db);
      await sql`delete from audit_heads`.execute(store.db);
      const result = await verify();
      assert.ok(!result.ok);
      assert.match(result.reason, /chain is missing/);
      await store.dispose();
      await setup();
    });

    it("a chain rewritten and rehashed without the key fails, keyed or downgraded to unkeyed", async () => {
      const rows = await store.db
        .selectFrom("audit_log")
        .selectAll()
        .where("chain", "=", orgB)
        .orderBy("chain_seq")
        .execute();
      const rewrite = async (format: number, key: Buffer | undefined) => {
        let prev = GENESIS_HASH;
        await store.transaction(async (tx) => {
          for (const row of rows) {
            const { prev_hash: _p, hash: _h, ...fields } = row;
            const forged = { ...fields, format, chain_seq: Number(row.chain_seq), target_name: "FORGED" };
            const hash = entryHash(prev, forged, key);
            await tx
              .updateTable("audit_log")
              .set({ target_name: "FORGED", format, prev_hash: prev, hash })
              .where("id", "=", row.id)
              .execute();
            prev = hash;
          }
          await tx.updateTable("audit_heads").set({ hash: prev }).where("chain", "=", orgB).execute();
        });
      };
      // A forger who guesses a key: every entry fails its HMAC.
      await rewrite(2, Buffer.alloc(32, 9));
      let result = await verify();
      assert.ok(!result.ok);
      assert.equal(result.chain, orgB);
      assert.match(result.reason, /edited/);
      // A forger who marks every entry unkeyed: the chain verifies on its own, but not against its anchor.
      await rewrite(FORMAT_UNKEYED, undefined);
      assert.equal((await verifyAuditChain(store, { key: TEST_AUDIT_KEY })).ok, true);
      result = await verify();
      assert.ok(!result.ok);
      assert.match(result.reason, /differs from the one anchored/);
      await store.dispose();
      await setup();
    });

    it("an unkeyed entry after keyed ones is refused (a downgrade)", async () => {
      const last = await store.db
        .selectFrom("audit_log")
        .selectAll()
        .where("chain", "=", orgB)
        .where("chain_seq", "=", 5)
        .executeTakeFirstOrThrow();
      const { prev_hash: _p, hash: _h, ...fields } = last;
      const hash = entryHash(last.prev_hash, { ...fields, chain_seq: 5, format: FORMAT_UNKEYED }, undefined);
      await sql`update audit_log set format = 1, hash = ${hash} where id = ${last.id}`.execute(store.db);
      await sql`update audit_heads set hash = ${hash} where chain = ${orgB}`.execute(store.db);
      const result = await verifyAuditChain(store, { key: TEST_AUDIT_KEY });
      assert.ok(!result.ok);
      assert.match(result.reason, /unkeyed entry follows keyed ones/);
      await store.dispose();
      await setup();
    });

    it("a forged or edited anchor line is reported, and the authentic ones still count", async () => {
      const path = anchorFilePath(dataDir);
      const text = await readFile(path, "utf8");
      const line = JSON.parse(text.trim().split("\n")[0] as string) as Record<string, unknown>;
      await appendFile(path, `${JSON.stringify({ ...line, seq: 1 })}\nnot json\n`);
      const anchors = await readAnchors(path, TEST_AUDIT_KEY);
      const total = text.trim().split("\n").length;
      assert.deepEqual(anchors?.invalidLines, [total + 1, total + 2]);
      assert.equal(anchors?.latest.get(orgA)?.seq, 40);
      const otherKey = await readAnchors(path, Buffer.alloc(32, 3));
      assert.equal(otherKey?.latest.size, 0, "anchors made with another key are not authentic");
    });

    it("the anchorer never anchors a chain backwards, and logs the cut", async () => {
      const errors: string[] = [];
      const anchorer = createAnchorer({
        store,
        key: TEST_AUDIT_KEY,
        dataDir,
        intervalMs: 60_000,
        logger: { warn() {}, error: (_o, msg) => errors.push(msg) },
      });
      await sql`delete from audit_log where chain = ${orgA} and chain_seq > 20`.execute(store.db);
      await sql`update audit_heads set chain_seq = 20 where chain = ${orgA}`.execute(store.db);
      await anchorer.start();
      await anchorer.stop();
      assert.equal(errors.length, 1);
      assert.match(errors[0] as string, /shorter than its anchor/);
      const anchors = await readAnchors(anchorFilePath(dataDir), TEST_AUDIT_KEY);
      assert.equal(anchors?.latest.get(orgA)?.seq, 40);
      await store.dispose();
      await setup();
    });
  });

  describe(`audit anchors shipped to a webhook (${database.name})`, () => {
    it("each new anchor reaches the configured webhook, and a webhook that was down gets them later", async () => {
      const received: { chain: string; seq: number }[] = [];
      let up = false;
      const sink = createServer((req, res) => {
        let body = "";
        req.on("data", (c) => {
          body += c;
        });
        req.on("end", () => {
          if (!up) {
            res.writeHead(503).end();
            return;
          }
          received.push(...(JSON.parse(body) as { anchors: { chain: string; seq: number }[] }).anchors);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
      const port = (sink.address() as { port: number }).port;
      const store = await database.open();
      try {
        const warnings: string[] = [];
        const anchorer = createAnchorer({
          store,
          key: TEST_AUDIT_KEY,
          dataDir: tempDir(),
          intervalMs: 60_000,
          webhookUrl: `http://127.0.0.1:${port}/anchors`,
          logger: { warn: (_o, msg) => warnings.push(msg), error() {} },
        });
        const audit = createAuditLog({ store, key: TEST_AUDIT_KEY, onAppend: anchorer.markDirty });
        await anchorer.start();
        const org = await makeOrg(store, "shipped");
        await audit.appendNow(entry(org, 1));
        await anchorer.flush();
        assert.equal(received.length, 0);
        assert.equal(warnings.length, 1, "a webhook that is down is reported");
        up = true;
        await audit.appendNow(entry(org, 2));
        await anchorer.stop();
        assert.deepEqual(
          received.map((a) => [a.chain, a.seq]),
          [
            [org, 1],
            [org, 2],
          ],
        );
      } finally {
        sink.close();
        await store.dispose();
      }
    });
  });

  describe(`audit key (${database.name})`, () => {
    it("is created once, wrapped by the root key, and never stored in the clear", async () => {
      const store = await database.open();
      try {
        const root = generateRootKey();
        const [a, b] = await Promise.all([loadAuditKey(store, root), loadAuditKey(store, root)]);
        assert.ok(a.equals(b), "nodes starting together agree on one key");
        assert.ok((await findAuditKey(store, root))?.equals(a));
        const rows = await store.db.selectFrom("meta").select(["key", "value"]).execute();
        const dump = JSON.stringify(rows);
        assert.ok(!dump.includes(a.toString("base64")) && !dump.includes(a.toString("hex")));
        await assert.rejects(findAuditKey(store, generateRootKey()), /not by the given root key/);
      } finally {
        await store.dispose();
      }
    });
  });
}

/**
 * Issue 7 item 11: unauthenticated requests used to add one audit row each (1,000 in 1.5 s). The first
 * denial from a source is still recorded at once; the rest of a window become one entry with a count.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAuditLog } from "../audit/service.js";
import { TEST_AUDIT_KEY } from "../audit/testing.js";
import { verifyAuditChain } from "../audit/verify.js";
import { testDatabases } from "../store/testing.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { createDenialRecorder, sourceKey } from "./denials.js";

const anonymous = (sourceIp: string) => ({ actor: null, sourceIp, requestId: "t" });
const request = (route: string) => ({ action: "request.denied" as const, route });

for (const database of testDatabases()) {
  describe(`denial aggregation (${database.name})`, () => {
    it("a burst from one source writes its first denial at once and one counted entry per window", async () => {
      const store = await database.open();
      try {
        const audit = createAuditLog({ store, key: TEST_AUDIT_KEY });
        const clock = { ms: Date.parse("2026-01-01T00:00:00Z") };
        const denials = createDenialRecorder({ append: (e) => audit.appendNow(e), now: () => clock.ms });
        const rows = () =>
          store.db
            .selectFrom("audit_log")
            .selectAll()
            .where("chain", "=", "_system")
            .orderBy("chain_seq")
            .execute();
        for (let i = 0; i < 500; i++)
          await denials.record(anonymous("192.0.2.1"), request("GET /v1/orgs"), "unauthenticated");
        await denials.record(anonymous("192.0.2.2"), request("GET /v1/me"), "unauthenticated");
        let written = await rows();
        assert.deepEqual(
          written.map((r) => [r.source_ip, r.action, JSON.parse(r.details).route]),
          [
            ["192.0.2.1", "request.denied", "GET /v1/orgs"],
            ["192.0.2.2", "request.denied", "GET /v1/me"],
          ],
          "the first denial of each source is recorded, and only that",
        );
        clock.ms += 61_000;
        for (let i = 0; i < 10; i++)
          await denials.record(anonymous("192.0.2.1"), request("POST /v1/orgs"), "unauthenticated");
        written = await rows();
        const summary = written.find((r) => r.action === "requests.denied");
        assert.ok(summary, "the ended window was summarised");
        assert.equal(summary.source_ip, "192.0.2.1");
        const details = JSON.parse(summary.details);
        assert.equal(details.count, 499);
        assert.deepEqual(details.routes, { "GET /v1/orgs": 499 });
        assert.deepEqual(details.reasons, { unauthenticated: 499 });
        await denials.close();
        const last = (await rows()).at(-1)!;
        assert.equal(last.action, "requests.denied");
        assert.equal(
          JSON.parse(last.details).count,
          10,
          "a busy source goes on being counted, not re-recorded",
        );
        assert.equal((await rows()).length, 4);
        assert.equal((await verifyAuditChain(store, { key: TEST_AUDIT_KEY })).ok, true);
      } finally {
        await store.dispose();
      }
    });
  });
}

describe("denial sources", () => {
  it("an IPv6 /64 counts as one source; IPv4 addresses count one each", () => {
    assert.equal(sourceKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    assert.equal(sourceKey("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
    assert.equal(sourceKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(sourceKey("192.0.2.1"), "192.0.2.1");
    assert.equal(sourceKey("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
  });

  it("past the cap of sources per window, new sources are counted together instead of written one by one", async () => {
    const written: string[] = [];
    const denials = createDenialRecorder({
      append: async (e) => {
        written.push(`${e.action} ${e.sourceIp} ${e.details.count ?? ""}`.trim());
      },
      maxSourcesPerWindow: 3,
      now: () => 0,
    });
    for (let i = 1; i <= 10; i++)
      await denials.record(anonymous(`198.51.100.${i}`), request("GET /v1/me"), "unauthenticated");
    assert.equal(written.length, 3);
    await denials.close();
    assert.deepEqual(written.slice(3), ["requests.denied 198.51.100.4 7"]);
  });
});

describe("unauthenticated burst over HTTP", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(testDatabases()[0]!);
  });
  after(() => server.close());

  it("1,000 unauthenticated requests answer 401 and add one audit row, not 1,000", async () => {
    const before = await server.cloakroom.store.db.selectFrom("audit_log").select("id").execute();
    const statuses = new Map<number, number>();
    const one = async () => {
      const res = await fetch(`${server.url}/v1/orgs`, { headers: { authorization: "Bearer crk_s_forged" } });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    };
    for (let i = 0; i < 50; i++) await Promise.all(Array.from({ length: 20 }, one));
    assert.deepEqual([...statuses], [[401, 1000]]);
    const after = await server.cloakroom.store.db
      .selectFrom("audit_log")
      .select(["action", "source_ip", "details"])
      .execute();
    const added = after.length - before.length;
    assert.equal(added, 1, `${added} audit rows for one burst`);
    const first = after.at(-1)!;
    assert.deepEqual(
      [first.action, first.source_ip, JSON.parse(first.details).route],
      ["request.denied", "127.0.0.1", "GET /v1/orgs"],
    );
  });
});

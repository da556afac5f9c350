/**
 * The run log is bounded: an entry's output, console and bodies are redacted first and then cut with a
 * mark; a returned value past the sandbox's bound fails the run; a log page stops at a byte bound with a
 * cursor to continue; an organization's run logs stay within the configured quota.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MAX_JSON_DEPTH } from "../../json-depth.js";
import { newId } from "../../store/ids.js";
import { testDatabases } from "../../testing/databases.js";
import { type RuntimeFixture, runtimeFixture } from "../../testing/runtime.js";
import { startTestServer, type TestServer } from "../../testing/server.js";
import { MAX_OUTPUT_CHARS } from "../sandbox/types.js";
import { capEntry, ENTRY_LIMITS, LOG_PAGE_BYTES, truncateRedacted } from "./caps.js";
import type { RunLogEntry } from "./schema.js";
import { insertRunLogs } from "./store.js";

const SECRET = "zq7-bound-secret-value-41c9";

describe("the truncation helper", () => {
  it("cuts on a character boundary, within the bound, and names the bytes it cut", () => {
    const text = "é".repeat(100);
    const cut = truncateRedacted(text, 51);
    assert.match(cut, /^(é){25}… \[truncated 150 bytes\]$/);
    assert.equal(truncateRedacted("short", 10), "short");
  });

  it("an entry past its bounds keeps its shape and marks every cut", () => {
    const entry: RunLogEntry = {
      id: "e",
      consumer: { kind: "logic", id: "c", name: "n" },
      event: { id: "ev", name: "x", data: { big: "d".repeat(100_000) }, publishedAt: "t" },
      status: "success",
      startedAt: "t",
      durationMs: 1,
      attempts: 1,
      console: Array.from({ length: 100 }, () => ({ level: "log", message: "c".repeat(1000) })),
      output: { big: "o".repeat(100_000) },
    };
    const capped = capEntry(entry);
    assert.ok(JSON.stringify(capped).length < 4 * 64 * 1024, "the entry is bounded");
    assert.match(String(capped.output), /… \[truncated \d+ bytes\]$/);
    assert.match(String(capped.event.data), /… \[truncated \d+ bytes\]$/);
    assert.match(capped.console!.at(-1)!.message, /more console lines were dropped/);
  });
});

for (const database of testDatabases()) {
  describe(`run-log bounds on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;

    before(async () => {
      server = await startTestServer(database, { CLOAKROOM_RUN_LOG_QUOTA_MB: "1" });
      f = await runtimeFixture(server);
      await f.secret("API_KEY", "token", SECRET);
    });
    after(async () => {
      const stored = await server.cloakroom.store.db.selectFrom("run_logs").select("entry").execute();
      await server.close();
      for (const row of stored)
        assert.ok(!row.entry.includes(SECRET.slice(0, 10)), "a stored entry holds a value");
    });

    const logic = (name: string, body: string) =>
      f.logic({
        name,
        event: name,
        secrets: ["API_KEY"],
        timeoutMs: 10_000,
        code: `export default function process({ event, secrets }) { ${body} }`,
      });

    it("a large return value is redacted first, then cut with a mark, even where the cut falls inside a value", async () => {
      // The secret straddles the cut: its first 12 characters fall before it in the output's JSON.
      const before = ENTRY_LIMITS.outputBytes - 1 - 12;
      const c = await logic("big", `return "a".repeat(${before}) + secrets.API_KEY + "b".repeat(200000);`);
      const res = await f.call("POST", f.p(`/logic/${c.id}/run`), f.owner, {});
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.equal(res.body.status, "success");
      const output = String(res.body.output);
      assert.ok(
        Buffer.byteLength(output) < ENTRY_LIMITS.outputBytes + 100,
        `output is ${output.length} long`,
      );
      assert.match(output, /… \[truncated \d+ bytes\]$/);
      assert.ok(!output.includes(SECRET.slice(0, 10)), "the cut left a piece of the value");
      const [stored] = await f.logs(`?consumer=${c.id}`);
      assert.equal(stored.output, res.body.output);
    });

    it("console output past the entry's bound is cut, and the dropped lines are counted", async () => {
      const c = await logic(
        "chatty",
        `for (let i = 0; i < 500; i++) console.log(secrets.API_KEY + "x".repeat(1000)); return 1;`,
      );
      const res = await f.call("POST", f.p(`/logic/${c.id}/run`), f.owner, {});
      assert.equal(res.status, 200);
      const total = (res.body.console as { message: string }[]).reduce((n, l) => n + l.message.length, 0);
      assert.ok(total < ENTRY_LIMITS.consoleBytes + 200, `console is ${total} long`);
      assert.match(res.body.console.at(-1).message, /more console lines were dropped/);
      assert.ok(!res.text.includes(SECRET.slice(0, 10)));
    });

    it("a returned value past the sandbox's bound fails the run with output_too_large", async () => {
      const c = await logic("huge", `return "x".repeat(${MAX_OUTPUT_CHARS + 10});`);
      const res = await f.call("POST", f.p(`/logic/${c.id}/run`), f.owner, {});
      assert.equal(res.status, 200);
      assert.equal(res.body.status, "failure");
      assert.equal(res.body.error.code, "output_too_large");
      assert.equal(res.body.output, undefined);
    });

    it(`a returned value nested deeper than ${MAX_JSON_DEPTH} levels fails the run with output_too_deep, not a 500`, async () => {
      const c = await logic("deep", "let o = 1; for (let i = 0; i < 5000; i++) o = { a: o }; return o;");
      const res = await f.call("POST", f.p(`/logic/${c.id}/run`), f.owner, {});
      assert.equal(res.status, 200, res.text.slice(0, 200));
      assert.equal(res.body.status, "failure");
      assert.equal(res.body.error.code, "output_too_deep");
      const [stored] = await f.logs(`?consumer=${c.id}`);
      assert.equal(stored.error.code, "output_too_deep");
    });

    it("a log page stops before its byte bound, and its cursor continues where it stopped", async () => {
      const db = server.cloakroom.store.db;
      const project = await db
        .selectFrom("projects")
        .innerJoin("orgs", "orgs.id", "projects.org_id")
        .select(["projects.id as projectId", "orgs.id as orgId"])
        .where("projects.slug", "=", f.project)
        .where("orgs.slug", "=", f.org)
        .executeTakeFirstOrThrow();
      // Entries stored before the bounds existed can be of any size; 12 of 400 KB are 4.8 MB.
      const consumerId = newId();
      const ids: string[] = [];
      const logs = Array.from({ length: 12 }, (_, i) => {
        const id = newId();
        ids.push(id);
        const entry: RunLogEntry = {
          id,
          consumer: { kind: "logic", id: consumerId, name: "old" },
          event: { id: newId(), name: "old", data: {}, publishedAt: new Date().toISOString() },
          status: "success",
          startedAt: new Date().toISOString(),
          durationMs: 1,
          attempts: 1,
          output: `${i}`.padEnd(400_000, "o"),
        };
        return { orgId: project.orgId, projectId: project.projectId, runId: null, entry };
      });
      await insertRunLogs(db, logs);
      const seen: string[] = [];
      let before: string | undefined;
      for (let page = 0; page < 20; page++) {
        const res = await f.call(
          "GET",
          f.p(`/logs?consumer=${consumerId}&limit=200${before ? `&before=${before}` : ""}`),
        );
        assert.equal(res.status, 200);
        assert.ok(res.text.length <= LOG_PAGE_BYTES + 500_000, `a page of ${res.text.length} bytes`);
        for (const e of res.body.entries) seen.push(e.id);
        if (!res.body.next) break;
        assert.ok(res.body.entries.length < 12, "the first pages stop early");
        before = res.body.next;
      }
      assert.deepEqual(seen, [...ids].sort().reverse(), "every entry once, newest (largest id) first");
    });

    it("an organization's run logs stay within its quota: the oldest entries go, the newest stay", async () => {
      const c = await logic("filler", `return "f".repeat(60000) + event.data.n;`);
      for (let n = 0; n < 30; n++) {
        const res = await f.call("POST", f.p(`/logic/${c.id}/run`), f.owner, { event: { data: { n } } });
        assert.equal(res.status, 200);
      }
      const db = server.cloakroom.store.db;
      const rows = await db.selectFrom("run_logs").select("entry").execute();
      const total = rows.reduce((n, r) => n + r.entry.length, 0);
      assert.ok(total <= 1024 * 1024, `run logs hold ${total} characters`);
      const usage = await db.selectFrom("run_log_usage").select("bytes").executeTakeFirstOrThrow();
      assert.equal(Number(usage.bytes), total, "the usage counter matches the table");
      const [newest] = await f.logs(`?consumer=${c.id}&limit=1`);
      assert.match(String(newest.output), /29$/);
    });
  });
}

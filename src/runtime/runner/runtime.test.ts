/**
 * Events, runs and run logs through a real listening server and a real webhook target on 127.0.0.1, on
 * SQLite and on PostgreSQL (X1, X2, X3, X6, S4, S7).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { testDatabases } from "../../testing/databases.js";
import { eventually, type RuntimeFixture, reportedRuns, startRuntimeSuite } from "../../testing/runtime.js";
import type { TestServer } from "../../testing/server.js";
import type { Sink } from "../../testing/sink.js";

// Fast retries; read when the runtime is created.
process.env.CLOAKROOM_RUN_RETRY_BASE_MS = "20";
process.env.CLOAKROOM_RUN_RETRY_MAX_MS = "100";
process.env.CLOAKROOM_RUN_MAX_ATTEMPTS = "3";
process.env.CLOAKROOM_RUN_POLL_MS = "200";

const API_KEY = "s3cr3t-api-key-0001";
const PASSWORD = "s3cr3t-pass-word";
const USER = "s3cr3t-user-name";
const JSON_TOKEN = "s3cr3t-json-leaf";

for (const database of testDatabases()) {
  describe(`runtime on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;
    let sink: Sink;

    before(async () => {
      ({ server, f, sink } = await startRuntimeSuite(database));
      await f.secret("API_KEY", "token", API_KEY);
      await f.secret("CREDS", "username_password", { username: USER, password: PASSWORD });
      await f.secret("CFG", "json", { nested: { token: JSON_TOKEN }, region: "eu" });
    });
    beforeEach(() => {
      sink.requests.length = 0;
      sink.respond(() => ({ status: 200, body: "ok" }));
    });
    after(async () => {
      const stored = await server.cloakroom.store.db.selectFrom("run_logs").select("entry").execute();
      await server.close();
      await sink.close();
      // Whichever tests ran (all, or one alone), every run an answer reported was stored and is searched.
      const reported = reportedRuns(f.seen).size;
      assert.ok(stored.length >= reported, `${reported} runs reported, ${stored.length} stored`);
      for (const row of stored) assert.ok(!row.entry.includes("s3cr3t-"), "a stored run log holds a value");
      for (const text of f.seen)
        assert.ok(!text.includes("s3cr3t-"), `an answer leaked a value: ${text.slice(0, 300)}`);
      for (const line of server.logs) assert.ok(!line.includes("s3cr3t-"), "the server log holds a value");
    });

    /** An integration posting to the sink with every kind of secret in it. */
    const sinkHook = (name: string, event: string, over: Record<string, unknown> = {}) => ({
      name,
      event,
      secrets: ["API_KEY", "CREDS", "CFG"],
      request: {
        method: "POST",
        url: `${sink.url}/${name}?k={{API_KEY}}`,
        headers: { Authorization: "Bearer {{{API_KEY}}}", "X-Token": "{{{CFG.nested.token}}}" },
        query: { event: "{{event.name}}" },
        body: '{"user":"{{CREDS.username}}","event":"{{event.name}}","data":{{{event.data}}}}',
        basicAuth: null,
      },
      ...over,
    });

    it("an event reaches every enabled consumer whose filter is a prefix of its name, with the secrets rendered", async () => {
      const a = await f.integration(sinkHook("prefix", "order"));
      const b = await f.integration(sinkHook("exact", "order.created"));
      const all = await f.integration(sinkHook("all", ""));
      const other = await f.integration(sinkHook("other", "invoice"));
      const off = await f.integration(sinkHook("off", "order", { enabled: false }));

      const eventId = await f.publish("order.created", { amount: 42 });
      const requests = await sink.waitFor(3);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sink.requests.length, 3, "exactly the three matching consumers ran");
      assert.deepEqual(requests.map((r) => r.url.split("?")[0]).sort(), ["/all", "/exact", "/prefix"]);
      for (const r of requests) {
        assert.equal(r.headers.authorization, `Bearer ${API_KEY}`);
        assert.equal(r.headers["x-token"], JSON_TOKEN);
        assert.match(r.url, new RegExp(`k=${API_KEY}`));
        assert.deepEqual(JSON.parse(r.body), { user: USER, event: "order.created", data: { amount: 42 } });
        assert.match(String(r.headers["x-cloakroom-delivery"]), /^[0-9a-f-]{36}$/);
      }

      const entries = await eventually(async () => {
        const e = await f.logs();
        return e.filter((x: { event: { id: string } }) => x.event.id === eventId).length === 3 && e;
      });
      const mine = entries.filter((x: { event: { id: string } }) => x.event.id === eventId);
      for (const entry of mine) {
        assert.equal(entry.status, "success");
        assert.equal(entry.attempts, 1);
        assert.equal(entry.request.headers.Authorization, "Bearer [[SENSITIVE]]");
        assert.equal(entry.request.headers["X-Token"], "[[SENSITIVE]]");
        assert.match(entry.request.url, /k=\[\[SENSITIVE\]\]/);
        assert.match(entry.request.body, /"user":"\[\[SENSITIVE\]\]"/);
        assert.equal(entry.response.status, 200);
        assert.deepEqual(entry.event.data, { amount: 42 });
        assert.ok([a.id, b.id, all.id].includes(entry.consumer.id));
      }
      // Each delivery id is its run's id, different per consumer.
      assert.equal(new Set(requests.map((r) => r.headers["x-cloakroom-delivery"])).size, 3);
      for (const c of [a, b, all, other, off]) await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("an event that matches nothing is accepted and runs nothing", async () => {
      const id = await f.publish("nobody.listens");
      assert.match(id, /^[0-9a-f-]{36}$/);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sink.requests.length, 0);
    });

    it("a target that fails and then recovers is retried with the same delivery id until it succeeds", async () => {
      sink.respond((_r, i) => (i < 2 ? { status: 503, body: "busy" } : { status: 200, body: "fine" }));
      const c = await f.integration(sinkHook("flaky", "retry.me"));
      await f.publish("retry.me");
      const requests = await sink.waitFor(3);
      assert.equal(new Set(requests.map((r) => r.headers["x-cloakroom-delivery"])).size, 1);
      const entry = await eventually(async () => (await f.logs(`?consumer=${c.id}`))[0]);
      assert.equal(entry.status, "success");
      assert.equal(entry.attempts, 3);
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("a target that keeps failing ends as a failure after the last attempt, logged once", async () => {
      sink.respond(() => ({ status: 500, body: `internal error near ${API_KEY}` }));
      const c = await f.integration(sinkHook("broken", "fail.me"));
      await f.publish("fail.me");
      await sink.waitFor(3);
      const entry = await eventually(async () => (await f.logs(`?consumer=${c.id}`))[0]);
      assert.equal(entry.status, "failure");
      assert.equal(entry.attempts, 3);
      assert.equal(entry.error.code, "http_status");
      assert.equal(entry.response.body, "internal error near [[SENSITIVE]]");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sink.requests.length, 3, "no attempt after the last");
      assert.equal((await f.logs(`?consumer=${c.id}`)).length, 1);
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("a 4xx answer is not retried", async () => {
      sink.respond(() => ({ status: 422, body: "no" }));
      const c = await f.integration(sinkHook("strict", "reject.me"));
      await f.publish("reject.me");
      const entry = await eventually(async () => (await f.logs(`?consumer=${c.id}`))[0]);
      assert.equal(entry.status, "failure");
      assert.equal(entry.attempts, 1);
      assert.equal(sink.requests.length, 1);
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("the test endpoint delivers once, now, and answers the redacted entry it also stores", async () => {
      const c = await f.integration(sinkHook("tested", "never.published"));
      const res = await f.call("POST", f.p(`/integrations/${c.id}/test`), f.owner, {
        event: { name: "manual", data: { x: 1 } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, "success");
      assert.equal(res.body.event.name, "manual");
      assert.equal(res.body.request.headers.Authorization, "Bearer [[SENSITIVE]]");
      assert.equal(sink.requests.length, 1);
      assert.equal(sink.requests[0]!.headers.authorization, `Bearer ${API_KEY}`);
      const [stored] = await f.logs(`?consumer=${c.id}`);
      assert.deepEqual(stored, res.body);
      const metrics = await server.request("GET", "/metrics");
      assert.match(metrics.text, /cloakroom_runs_total\{kind="integration",status="success"\} [1-9]/);

      // A failing target is not retried by the test endpoint.
      sink.respond(() => ({ status: 503 }));
      const failed = await f.call("POST", f.p(`/integrations/${c.id}/test`));
      assert.equal(failed.body.status, "failure");
      assert.equal(failed.body.attempts, 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sink.requests.length, 2);
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("an updated secret value is used by the very next run (S4)", async () => {
      await f.secret("ROTATING", "token", "s3cr3t-rotation-v1");
      const c = await f.integration({
        name: "rotating",
        secrets: ["ROTATING"],
        request: { method: "GET", url: `${sink.url}/rot`, headers: { "X-Key": "{{{ROTATING}}}" } },
      });
      await f.call("POST", f.p(`/integrations/${c.id}/test`));
      const updated = await f.call("PUT", `/v1/orgs/${f.org}/secrets/ROTATING/value`, f.owner, {
        value: "s3cr3t-rotation-v2",
      });
      assert.equal(updated.status, 200, updated.text);
      await f.call("POST", f.p(`/integrations/${c.id}/test`));
      await f.publish("rotation");
      await sink.waitFor(3);
      assert.deepEqual(
        sink.requests.map((r) => r.headers["x-key"]),
        ["s3cr3t-rotation-v1", "s3cr3t-rotation-v2", "s3cr3t-rotation-v2"],
      );
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("a rotated-out value of a secret is still redacted from run logs, as are number leaves", async () => {
      await f.secret("ROTATED", "token", "s3cr3t-rotated-out-v1");
      const updated = await f.call("PUT", `/v1/orgs/${f.org}/secrets/ROTATED/value`, f.owner, {
        value: "s3cr3t-rotated-in-v2",
      });
      assert.equal(updated.status, 200, updated.text);
      await f.secret("NUMBERS", "json", { pin: 73910482, enabled: true });
      // The function declares no secret: the old value and the PIN come in with the caller's event.
      const code = "export default ({ event }) => { console.log(event.data.old); return event.data }";
      const c = await f.logic({ name: "echo-old", event: "echo.old", secrets: [], code });
      const res = await f.call("POST", f.p(`/logic/${c.id}/run`), f.owner, {
        event: { data: { old: "s3cr3t-rotated-out-v1", pin: 73910482, on: true } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, "success", res.text);
      assert.deepEqual(res.body.output, { old: "[[SENSITIVE]]", pin: "[[SENSITIVE]]", on: true });
      assert.equal(res.body.console[0].message, "[[SENSITIVE]]");
      await f.call("DELETE", f.p(`/logic/${c.id}`));
    });

    it("a run that needs an archived secret fails with secret_archived naming it, and is not retried (S7)", async () => {
      await f.secret("OLD_KEY", "token", "s3cr3t-old-key");
      const c = await f.integration({
        name: "uses-old",
        event: "archived.test",
        secrets: ["OLD_KEY"],
        request: { method: "GET", url: `${sink.url}/old`, headers: { "X-Key": "{{{OLD_KEY}}}" } },
      });
      assert.equal((await f.call("POST", `/v1/orgs/${f.org}/secrets/OLD_KEY/archive`)).status, 200);
      const tested = await f.call("POST", f.p(`/integrations/${c.id}/test`));
      assert.equal(tested.body.status, "failure");
      assert.equal(tested.body.error.code, "secret_archived");
      assert.match(tested.body.error.message, /OLD_KEY/);

      await f.publish("archived.test");
      const entry = await eventually(async () =>
        (await f.logs(`?consumer=${c.id}`)).find(
          (e: { event: { name: string } }) => e.event.name === "archived.test",
        ),
      );
      assert.equal(entry.error.code, "secret_archived");
      assert.equal(entry.attempts, 1);
      assert.equal(sink.requests.length, 0, "nothing was sent");
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("a logic function that prints its secrets in many encodings is stored and answered redacted", async () => {
      // btoa is the sandbox's own (prelude.ts): what a function builds a basic auth header with.
      const code = `export default function process({ event, secrets }) {
        const k = secrets.API_KEY;
        console.log(k);
        console.info(btoa(k));
        console.warn(JSON.stringify({ creds: secrets.CREDS }));
        console.error(encodeURIComponent("key=" + k + "&x=1"));
        console.log(btoa(secrets.CREDS.username + ":" + secrets.CREDS.password));
        return { echoed: k, [k]: secrets.CFG.nested.token, n: event.data.n };
      }`;
      const c = await f.logic({ name: "leaky", event: "leak", secrets: ["API_KEY", "CREDS", "CFG"], code });
      const res = await f.call("POST", f.p(`/logic/${c.id}/run`), f.owner, { event: { data: { n: 7 } } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, "success", res.text);
      assert.equal(res.body.console.length, 5);
      for (const line of res.body.console) assert.match(line.message, /\[\[SENSITIVE\]\]/);
      assert.deepEqual(res.body.output, { echoed: "[[SENSITIVE]]", "[[SENSITIVE]]": "[[SENSITIVE]]", n: 7 });

      const published = await f.publish("leak", { n: 8 });
      const entry = await eventually(async () =>
        (await f.logs(`?consumer=${c.id}`)).find((e: { event: { id: string } }) => e.event.id === published),
      );
      assert.equal(entry.status, "success");
      assert.equal(entry.output.n, 8);
      await f.call("DELETE", f.p(`/logic/${c.id}`));
    });

    it("logs page newest first by entry id and filter by consumer", async () => {
      const c = await f.integration(sinkHook("paged", "page.me"));
      for (let i = 0; i < 5; i++) await f.call("POST", f.p(`/integrations/${c.id}/test`));
      const all = await f.logs(`?consumer=${c.id}&limit=50`);
      assert.equal(all.length, 5);
      const ids = all.map((e: { id: string }) => e.id);
      assert.deepEqual([...ids].sort().reverse(), ids, "newest first");
      const page1 = await f.logs(`?consumer=${c.id}&limit=2`);
      const page2 = await f.logs(`?consumer=${c.id}&limit=2&before=${page1[1].id}`);
      const page3 = await f.logs(`?consumer=${c.id}&limit=2&before=${page2[1].id}`);
      assert.deepEqual(
        [...page1, ...page2, ...page3].map((e: { id: string }) => e.id),
        ids,
      );
      for (const e of all) assert.equal(e.consumer.id, c.id);
      const bad = await f.call("GET", f.p("/logs?limit=0"));
      assert.equal(bad.status, 400);
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("a viewer reads logs but can neither publish events nor run consumers", async () => {
      const viewer = await f.tokenFor("viewer");
      const c = await f.integration(sinkHook("guarded", "guard"));
      assert.equal((await f.call("GET", f.p("/logs"), viewer)).status, 200);
      assert.equal((await f.call("POST", f.p("/events"), viewer, { name: "guard" })).status, 403);
      assert.equal((await f.call("POST", f.p(`/integrations/${c.id}/test`), viewer)).status, 403);
      const editor = await f.tokenFor("editor");
      assert.equal((await f.call("POST", f.p("/events"), editor, { name: "guard" })).status, 202);
      await sink.waitFor(1);
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });

    it("a bad event is refused with the fields named", async () => {
      for (const body of [{}, { name: "" }, { name: "x".repeat(201) }, { name: "a\nb" }, { name: 5 }]) {
        const res = await f.call("POST", f.p("/events"), f.owner, body);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.error.code, "invalid_request");
      }
    });
  });
}

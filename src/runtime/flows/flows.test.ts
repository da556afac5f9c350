/**
 * Flows end to end (SPEC X4): a real listening server, a real HTTP sink on 127.0.0.1, on SQLite and on
 * PostgreSQL. Steps in order with `steps.*` handed forward, rotation, the delete guard, seed 002's
 * `secret_in_output` warning, the names refused at save, and bad input as 400.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { testDatabases } from "../../testing/databases.js";
import { eventually, type RuntimeFixture, reportedRuns, startRuntimeSuite } from "../../testing/runtime.js";
import type { TestServer } from "../../testing/server.js";
import type { Sink } from "../../testing/sink.js";

process.env.CLOAKROOM_RUN_RETRY_BASE_MS = "20";
process.env.CLOAKROOM_RUN_RETRY_MAX_MS = "100";
process.env.CLOAKROOM_RUN_MAX_ATTEMPTS = "2";
process.env.CLOAKROOM_RUN_POLL_MS = "200";

const API_KEY = "s3cr3t-flow-key-0001";
const ROTATED = "s3cr3t-flow-key-0002";
const OTHER = "s3cr3t-other-value-77";

for (const database of testDatabases()) {
  describe(`flows on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;
    let sink: Sink;

    before(async () => {
      ({ server, f, sink } = await startRuntimeSuite(database));
      await f.secret("API_KEY", "token", API_KEY);
      await f.secret("OTHER", "token", OTHER);
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
      for (const text of f.seen) assert.ok(!text.includes("s3cr3t-"), `an answer leaked a value: ${text}`);
      for (const line of server.logs) assert.ok(!line.includes("s3cr3t-"), "the server log holds a value");
    });

    const threeSteps = (event = "order") => ({
      name: "three steps",
      event,
      secrets: ["API_KEY"],
      steps: [
        {
          id: "lookup",
          type: "http",
          request: {
            method: "GET",
            url: `${sink.url}/lookup`,
            // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
            headers: { Authorization: { expr: "`Bearer ${secrets.API_KEY}`" } },
            query: { user: { expr: "event.data.user" } },
          },
        },
        {
          id: "shape",
          type: "logic",
          code: "export default ({ event, steps }) => ({ ticket: steps.lookup.output.body.id * 2, who: event.data.user })",
        },
        {
          id: "notify",
          type: "http",
          request: {
            method: "POST",
            url: { expr: `"${sink.url}/notify/" + steps.shape.output.ticket` },
            body: { expr: "({ ticket: steps.shape.output.ticket, who: steps.shape.output.who })" },
          },
        },
      ],
    });
    const lookupAnswers = () =>
      sink.respond((r) =>
        r.url.startsWith("/lookup")
          ? { status: 200, headers: { "content-type": "application/json" }, body: '{"id":21}' }
          : { status: 200, body: "sent" },
      );

    it("runs its steps in order, each seeing the outputs before it, and logs each step redacted", async () => {
      lookupAnswers();
      const flow = (await f.call("POST", f.p("/flows"), f.owner, threeSteps())).body;
      assert.equal(flow.steps.length, 3);
      const res = await f.call("POST", f.p(`/flows/${flow.id}/test`), f.owner, {
        event: { data: { user: "ada" } },
      });
      assert.equal(res.status, 200, res.text);
      const [lookup, notify] = sink.requests;
      assert.equal(lookup?.headers.authorization, `Bearer ${API_KEY}`);
      assert.equal(lookup?.url, "/lookup?user=ada");
      assert.equal(notify?.url, "/notify/42");
      assert.deepEqual(JSON.parse(notify?.body ?? ""), { ticket: 42, who: "ada" });
      assert.equal(notify?.headers["content-type"], "application/json");
      const entry = res.body;
      assert.equal(entry.status, "success");
      assert.equal(entry.consumer.kind, "flow");
      assert.deepEqual(
        entry.steps.map((s: { id: string; type: string; status: string }) => [s.id, s.type, s.status]),
        [
          ["lookup", "http", "success"],
          ["shape", "logic", "success"],
          ["notify", "http", "success"],
        ],
      );
      assert.equal(entry.steps[0].request.headers.Authorization, "Bearer [[SENSITIVE]]");
      assert.deepEqual(entry.steps[0].output.body, { id: 21 });
      assert.deepEqual(entry.steps[1].output, { ticket: 42, who: "ada" });
      assert.equal(entry.warnings, undefined);

      // Rotation: the next run uses the new value.
      const put = await f.call("PUT", `/v1/orgs/${f.org}/secrets/API_KEY/value`, f.owner, { value: ROTATED });
      assert.equal(put.status, 200, put.text);
      sink.requests.length = 0;
      await f.call("POST", f.p(`/flows/${flow.id}/test`), f.owner, { event: { data: { user: "bo" } } });
      assert.equal(sink.requests[0]?.headers.authorization, `Bearer ${ROTATED}`);
      await f.call("PUT", `/v1/orgs/${f.org}/secrets/API_KEY/value`, f.owner, { value: API_KEY });

      // The delete guard names the flow; usage counts it.
      const del = await f.call("DELETE", `/v1/orgs/${f.org}/secrets/API_KEY`);
      assert.equal(del.status, 409);
      assert.equal(del.body.error.code, "secret_in_use");
      assert.deepEqual(del.body.error.details.usedBy, [{ kind: "flow", id: flow.id, name: "three steps" }]);
      const meta = await f.call("GET", `/v1/orgs/${f.org}/secrets/API_KEY`);
      assert.equal(meta.body.usageCount, 1);
      assert.equal((await f.call("DELETE", f.p(`/flows/${flow.id}`))).status, 204);
      assert.equal((await f.call("GET", `/v1/orgs/${f.org}/secrets/API_KEY`)).body.usageCount, 0);
    });

    it("an event triggers the flow through the run worker, and a failing step stops the run", async () => {
      sink.respond((r) => (r.url.startsWith("/lookup") ? { status: 404, body: "no" } : { status: 200 }));
      const flow = (await f.call("POST", f.p("/flows"), f.owner, threeSteps("ticket"))).body;
      await f.publish("ticket.opened", { user: "cy" });
      const entry = await eventually(async () => (await f.logs(`?consumer=${flow.id}`))[0]);
      assert.equal(entry.status, "failure");
      assert.equal(entry.error.code, "http_status");
      assert.match(entry.error.message, /^step lookup: /);
      assert.equal(entry.steps.length, 1, "no later step ran");
      assert.ok(sink.requests.every((r) => r.url.startsWith("/lookup")));
      await f.call("DELETE", f.p(`/flows/${flow.id}`));
    });

    it("a step answered 503 is retried as a whole flow run, and an archived secret fails the run by name", async () => {
      lookupAnswers();
      let failedOnce = false;
      sink.respond((r) => {
        if (r.url.startsWith("/notify") && !failedOnce) {
          failedOnce = true;
          return { status: 503, body: "busy" };
        }
        return r.url.startsWith("/lookup")
          ? { status: 200, headers: { "content-type": "application/json" }, body: '{"id":5}' }
          : { status: 200, body: "sent" };
      });
      const flow = (await f.call("POST", f.p("/flows"), f.owner, threeSteps("retry"))).body;
      await f.publish("retry.me", { user: "di" });
      const entry = await eventually(async () => {
        const [e] = await f.logs(`?consumer=${flow.id}`);
        return e?.status === "success" && e;
      });
      assert.equal(entry.attempts, 2);
      assert.deepEqual(
        sink.requests.map((r) => r.url.split("?")[0]),
        ["/lookup", "/notify/10", "/lookup", "/notify/10"],
        "the second attempt started again at the first step",
      );

      assert.equal((await f.call("POST", `/v1/orgs/${f.org}/secrets/API_KEY/archive`)).status, 200);
      const archived = (await f.call("POST", f.p(`/flows/${flow.id}/test`))).body;
      assert.equal(archived.status, "failure");
      assert.equal(archived.error.code, "secret_archived");
      assert.match(archived.error.message, /API_KEY/);
      assert.equal((await f.call("POST", `/v1/orgs/${f.org}/secrets/API_KEY/restore`)).status, 200);
      await f.call("DELETE", f.p(`/flows/${flow.id}`));
    });

    it("a step whose response carries a live secret is marked, the run warns, and the log stays redacted", async () => {
      sink.respond((r) => ({
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ echoed: r.headers.authorization, other: OTHER }),
      }));
      const flow = (
        await f.call("POST", f.p("/flows"), f.owner, {
          name: "echo",
          secrets: ["API_KEY"],
          steps: [
            {
              id: "echo",
              type: "http",
              request: { url: `${sink.url}/echo`, headers: { Authorization: { expr: "secrets.API_KEY" } } },
            },
            { id: "after", type: "logic", code: "export default ({ steps }) => steps.echo.output.body" },
          ],
        })
      ).body;
      const entry = (await f.call("POST", f.p(`/flows/${flow.id}/test`))).body;
      assert.equal(entry.status, "success");
      // OTHER is not declared by the flow: the run is also flagged for holding another secret's value.
      assert.deepEqual(
        entry.warnings.filter((w: { code: string }) => w.code === "secret_in_output"),
        [
          { code: "secret_in_output", step: "echo" },
          { code: "secret_in_output", step: "after" },
        ],
      );
      assert.equal(entry.steps[0].carriedSecret, true);
      assert.deepEqual(entry.steps[1].output, { echoed: "[[SENSITIVE]]", other: "[[SENSITIVE]]" });
      await f.call("DELETE", f.p(`/flows/${flow.id}`));
    });

    it("names that are not declared, or do not exist, are refused with their names", async () => {
      const body = (exprs: string[], secrets: string[]) => ({
        name: "names",
        secrets,
        steps: [
          {
            id: "one",
            type: "http",
            request: {
              url: sink.url,
              headers: Object.fromEntries(exprs.map((e, i) => [`X-${i}`, { expr: e }])),
            },
          },
        ],
      });
      const undeclared = await f.call(
        "POST",
        f.p("/flows"),
        f.owner,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
        body(["secrets.OTHER", 'secrets["NOPE"]', "`${secrets.API_KEY}`"], ["API_KEY"]),
      );
      assert.equal(undeclared.status, 400);
      assert.deepEqual(undeclared.body.error.details.undeclared, ["NOPE", "OTHER"]);
      assert.match(undeclared.body.error.message, /NOPE, OTHER/);
      const unknown = await f.call("POST", f.p("/flows"), f.owner, body(['secrets["MISSING"]'], ["MISSING"]));
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body.error.details.missing, ["MISSING"]);
    });

    it("bad steps are 400 naming the field", async () => {
      const step = (over: Record<string, unknown>) => ({
        id: "a",
        type: "http",
        request: { url: sink.url },
        ...over,
      });
      const cases: [string, unknown[], RegExp][] = [
        ["a bad step id", [step({ id: "Bad" })], /steps\.0\.id/],
        ["a step id starting with a digit", [step({ id: "1a" })], /steps\.0\.id/],
        ["duplicate ids", [step({}), step({})], /steps\.1\.id/],
        ["more than 20 steps", Array.from({ length: 21 }, (_, i) => step({ id: `s${i}` })), /steps/],
        ["no steps", [], /steps/],
        [
          "an expression for the method",
          [step({ request: { url: sink.url, method: { expr: "'GET'" } } })],
          /method/,
        ],
        ["an expression for an id", [step({ id: { expr: "'a'" } })], /steps\.0\.id/],
        ["an expression for the code", [{ id: "l", type: "logic", code: { expr: "1" } }], /steps\.0\.code/],
        [
          "an expression for the installation",
          [{ id: "p", type: "app", installation: { expr: "'x'" }, action: "a" }],
          /installation/,
        ],
        [
          "an expression that does not parse",
          [step({ request: { url: { expr: "1 +" } } })],
          /request\.url\.expr/,
        ],
        [
          "statements instead of an expression",
          [step({ request: { url: { expr: "1); (2" } } })],
          /request\.url\.expr/,
        ],
        ["an unknown step type", [{ id: "x", type: "shell" }], /steps\.0/],
        ["an unknown field", [step({ extra: 1 })], /steps\.0/],
      ];
      for (const [what, steps, field] of cases) {
        const res = await f.call("POST", f.p("/flows"), f.owner, { name: "bad", steps });
        assert.equal(res.status, 400, `${what}: ${res.text}`);
        assert.equal(res.body.error.code, "invalid_request", what);
        assert.match(JSON.stringify(res.body.error.details), field, what);
      }
      assert.equal((await f.call("GET", f.p("/flows"))).body.flows.length, 0, "nothing was saved");
    });

    it("a computed name the flow does not declare fails the step with secret_not_declared", async () => {
      const flow = (
        await f.call("POST", f.p("/flows"), f.owner, {
          name: "computed",
          secrets: ["API_KEY"],
          steps: [
            {
              id: "pick",
              type: "http",
              request: { url: sink.url, headers: { "X-Key": { expr: "secrets[event.data.which]" } } },
            },
          ],
        })
      ).body;
      const denied = (
        await f.call("POST", f.p(`/flows/${flow.id}/test`), f.owner, { event: { data: { which: "OTHER" } } })
      ).body;
      assert.equal(denied.status, "failure");
      assert.equal(denied.error.code, "secret_not_declared");
      assert.match(denied.error.message, /secret OTHER is not declared/);
      assert.equal(sink.requests.length, 0);
      const allowed = (
        await f.call("POST", f.p(`/flows/${flow.id}/test`), f.owner, {
          event: { data: { which: "API_KEY" } },
        })
      ).body;
      assert.equal(allowed.status, "success", JSON.stringify(allowed));
      assert.equal(sink.requests[0]?.headers["x-key"], API_KEY);
      await f.call("DELETE", f.p(`/flows/${flow.id}`));
    });
  });
}

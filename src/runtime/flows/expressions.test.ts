/**
 * Flow expressions against a real server, on SQLite and PostgreSQL: host objects are absent, an endless
 * loop or a memory bomb ends the step with `expression_failed` while the server keeps answering, and the
 * S11 rule on restricted secrets as an editor meets it.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { testDatabases } from "../../store/testing.js";
import type { TestServer } from "../../testing/server.js";
import { type RuntimeFixture, startRuntimeSuite } from "../runner/testing/fixture.js";
import type { Sink } from "../runner/testing/sink.js";

const API_KEY = "s3cr3t-expr-key-0001";

for (const database of testDatabases()) {
  describe(`flow expressions on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;
    let sink: Sink;

    before(async () => {
      ({ server, f, sink } = await startRuntimeSuite(database));
      await f.secret("API_KEY", "token", API_KEY);
    });
    beforeEach(() => {
      sink.requests.length = 0;
    });
    after(async () => {
      await server.close();
      await sink.close();
      for (const text of f.seen) assert.ok(!text.includes("s3cr3t-"), `an answer leaked a value: ${text}`);
    });

    const oneStep = (headers: Record<string, string>, secrets: string[] = []) => ({
      name: "one step",
      secrets,
      steps: [
        {
          id: "call",
          type: "http",
          request: {
            url: sink.url,
            headers: Object.fromEntries(Object.entries(headers).map(([k, e]) => [k, { expr: e }])),
          },
        },
      ],
    });
    const test = async (flow: unknown) => {
      const created = await f.call("POST", f.p("/flows"), f.owner, flow);
      assert.equal(created.status, 201, created.text);
      const res = await f.call("POST", f.p(`/flows/${created.body.id}/test`));
      assert.equal(res.status, 200, res.text);
      await f.call("DELETE", f.p(`/flows/${created.body.id}`));
      return res.body;
    };

    it("host objects are absent: process, require, fetch, and constructor chains reach only the sandbox", async () => {
      const entry = await test(
        oneStep({
          "X-Process": "typeof process",
          "X-Require": "typeof require",
          "X-Fetch": "typeof fetch",
          "X-Ctor": "({}).constructor.constructor('return typeof process')()",
          "X-Event-Ctor": "event.constructor.constructor('return typeof require')()",
          "X-Steps-Ctor": "steps.constructor.constructor('return typeof globalThis.process')()",
        }),
      );
      assert.equal(entry.status, "success", JSON.stringify(entry.error));
      const h = sink.requests[0]?.headers ?? {};
      for (const name of ["x-process", "x-require", "x-fetch", "x-ctor", "x-event-ctor", "x-steps-ctor"]) {
        assert.equal(h[name], "undefined", name);
      }
    });

    it("an endless loop and a memory bomb end the step with expression_failed while /healthz keeps its latency", async () => {
      const latencies: number[] = [];
      let spinning = true;
      const probe = (async () => {
        while (spinning) {
          const started = performance.now();
          const res = await server.request("GET", "/healthz");
          latencies.push(performance.now() - started);
          assert.equal(res.status, 200);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const loop = await test(oneStep({ "X-A": "'fine'", "X-B": "(() => { for (;;) {} })()" }));
      const bomb = await test(oneStep({ "X-A": "(() => { let s = 'x'; for (;;) s += s; })()" }));
      spinning = false;
      await probe;
      for (const entry of [loop, bomb]) {
        assert.equal(entry.status, "failure");
        assert.equal(entry.error.code, "expression_failed");
        assert.equal(entry.steps[0].error.code, "expression_failed");
      }
      assert.match(loop.error.message, /time limit of 1000 ms/);
      assert.match(bomb.error.message, /memory limit|out of memory|string too long/);
      assert.equal(sink.requests.length, 0, "no request left");
      assert.ok(latencies.length >= 10, `only ${latencies.length} probes`);
      // A blocked event loop would hold a probe for the whole second of the spin; a busy machine's
      // scheduling hiccups stay far below that.
      const worst = Math.max(...latencies);
      assert.ok(worst < 500, `/healthz took up to ${worst.toFixed(1)} ms while expressions spun`);
    });

    it("an expression that throws fails the step with its message, redacted", async () => {
      const entry = await test(
        oneStep({ "X-A": "(() => { throw new Error('bad key ' + secrets.API_KEY) })()" }, ["API_KEY"]),
      );
      assert.equal(entry.error.code, "expression_failed");
      assert.match(entry.error.message, /request\.headers\.X-A: Error: bad key \[\[SENSITIVE\]\]/);
    });

    describe("an editor and restricted secrets (S11)", () => {
      let editor: string;
      before(async () => {
        editor = await f.tokenFor("editor");
      });
      const save = (token: string, body: unknown, id?: string) =>
        f.call(id ? "PUT" : "POST", f.p(id ? `/flows/${id}` : "/flows"), token, body);

      it("may insert a restricted secret whole or as a template interpolation", async () => {
        const res = await save(
          editor,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
          oneStep({ A: "secrets.API_KEY", B: "`Bearer ${secrets.API_KEY}`" }, ["API_KEY"]),
        );
        assert.equal(res.status, 201, res.text);
        await f.call("DELETE", f.p(`/flows/${res.body.id}`));
      });

      it("may not compute with one, read secrets dynamically, call code beside one, or hand one to a logic step", async () => {
        const cases: [string, unknown][] = [
          ["a method call", oneStep({ A: "secrets.API_KEY.toLowerCase()" }, ["API_KEY"])],
          ["a concatenation", oneStep({ A: "'Bearer ' + secrets.API_KEY" }, ["API_KEY"])],
          ["a computed name", oneStep({ A: "secrets[event.data.k]" }, ["API_KEY"])],
          [
            "code beside it",
            oneStep({ A: "secrets.API_KEY", B: "[].constructor.constructor('return secrets.API_KEY')()" }, [
              "API_KEY",
            ]),
          ],
          [
            "a logic step",
            {
              name: "logic",
              secrets: ["API_KEY"],
              steps: [
                { id: "l", type: "logic", code: "export default ({ secrets }) => secrets.API_KEY.length" },
              ],
            },
          ],
        ];
        for (const [what, body] of cases) {
          const res = await save(editor, body);
          assert.equal(res.status, 403, `${what}: ${res.text}`);
          assert.deepEqual(res.body.error.details.secrets, ["API_KEY"], what);
          assert.match(res.body.error.message, /step (call|l):/, what);
        }
      });

      it("may save an admin's computing flow when those steps are unchanged, and not once they change", async () => {
        const computing = oneStep({ A: "secrets.API_KEY.slice(0, 4)" }, ["API_KEY"]);
        const created = await save(f.owner, computing);
        assert.equal(created.status, 201, created.text);
        const renamed = await save(editor, { ...computing, name: "renamed" }, created.body.id);
        assert.equal(renamed.status, 200, renamed.text);
        const changed = await save(
          editor,
          oneStep({ A: "secrets.API_KEY.slice(0, 5)" }, ["API_KEY"]),
          created.body.id,
        );
        assert.equal(changed.status, 403, changed.text);
        await f.call("DELETE", f.p(`/flows/${created.body.id}`));
      });
    });
  });
}

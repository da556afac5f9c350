/**
 * The flow runner with a real sandbox pool, the real webhook client and a local HTTP sink: `app` steps
 * through an AppActions implementation, and the property that a random flow's run-log entry never holds
 * a value in any X6 form.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Step } from "../../consumers/flow-schema.js";
import { RunError } from "../../errors.js";
import type { SecretValue } from "../../secrets/types.js";
import { createExecutor } from "../runner/execute.js";
import { createRedactorCache } from "../runner/redactors.js";
import type { RunEvent } from "../runner/schema.js";
import { type Sink, startSink } from "../runner/testing/sink.js";
import { createSandboxPool, type SandboxPool } from "../sandbox/index.js";
import { createWebhookClient, type WebhookClient } from "../webhook/index.js";
import type { AppActions } from "./app-actions.js";
import { createFlowRunner, type FlowConsumer } from "./run.js";

const APP_TOKEN = "app-installation-token-91";
const event: RunEvent = { id: "e1", name: "t", data: { user: "ada" }, publishedAt: "2026-01-01T00:00:00Z" };

/** A small real app: posts the action's input as JSON to the sink with the installation's token. */
function sinkApp(webhook: WebhookClient, sink: Sink): AppActions {
  return {
    async invoke(args) {
      if (args.installation !== "chat") throw new RunError("installation_not_found", "no installation chat");
      const request = {
        method: "POST",
        url: `${sink.url}/apps/${args.installation}/${args.action}`,
        headers: { Authorization: `Bearer ${APP_TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify(args.input),
      };
      const r = await webhook.deliver(request, { deliveryId: "app" });
      if (r.status === undefined) throw new RunError("http_error", "the app did not answer", r.retryable);
      const body = JSON.parse(r.body ?? "null") as unknown;
      return { request, response: { status: r.status, headers: r.headers ?? {}, body }, output: body };
    },
  };
}

describe("the flow runner", () => {
  let sink: Sink;
  let pool: SandboxPool;
  let webhook: WebhookClient;
  let values: Record<string, SecretValue> = {};
  let live: string[] = [];
  const run = (steps: Step[], secrets: string[]) => {
    const flow: FlowConsumer = {
      kind: "flow",
      id: "f1",
      orgId: "o1",
      projectId: "p1",
      name: "flow",
      event: "",
      enabled: true,
      secrets,
      steps,
    };
    return executor().attempt(flow, event, { deliveryId: "d1", attempt: 1 });
  };
  let executor: () => ReturnType<typeof createExecutor>;

  before(async () => {
    sink = await startSink();
    sink.respond((r) => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: r.url, headers: r.headers, body: r.body }),
    }));
    pool = createSandboxPool({ size: 1 });
    webhook = createWebhookClient({ allowPrivate: true });
    const secrets = {
      async resolveForRun(_scope: unknown, names: string[]) {
        return { values: Object.fromEntries(names.map((n) => [n, values[n]!])) };
      },
      async redactionValues() {
        return live;
      },
    };
    const redactors = createRedactorCache();
    const apps = sinkApp(webhook, sink);
    const flows = createFlowRunner({ sandbox: pool, webhook, secrets, redactors, apps });
    const built = createExecutor({ secrets, webhook, sandbox: pool, redactors, flows });
    executor = () => built;
  });
  after(async () => {
    await Promise.all([pool.close(), webhook.close(), sink.close()]);
  });

  it("an app step resolves its input's expressions and invokes the installation's action", async () => {
    values = {};
    live = [APP_TOKEN];
    const { entry } = await run(
      [
        {
          id: "get",
          type: "http",
          request: { method: "GET", url: `${sink.url}/get`, headers: {}, query: {}, body: null },
        },
        {
          id: "post",
          type: "app",
          installation: "chat",
          action: "post_message",
          input: {
            channel: "general",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
            text: { expr: "`${event.data.user} via ${steps.get.output.body.url}`" },
          },
        },
      ],
      [],
    );
    assert.equal(entry.status, "success", JSON.stringify(entry.error));
    const app = sink.requests.at(-1)!;
    assert.equal(app.url, "/apps/chat/post_message");
    assert.equal(app.headers.authorization, `Bearer ${APP_TOKEN}`);
    assert.deepEqual(JSON.parse(app.body), { channel: "general", text: "ada via /get" });
    const step = entry.steps![1]!;
    assert.equal(step.type, "app");
    assert.equal(step.request?.headers.Authorization, "Bearer [[SENSITIVE]]");
    // The sink echoes the token back: the app step carried a live secret.
    assert.equal(step.carriedSecret, true);
    assert.deepEqual(entry.warnings, [{ code: "secret_in_output", step: "post" }]);

    const missing = await run([{ id: "x", type: "app", installation: "gone", action: "a", input: {} }], []);
    assert.equal(missing.entry.status, "failure");
    assert.equal(missing.entry.error?.code, "installation_not_found");
  });

  it("expressions evaluated ahead for several steps still fail at their own step, after the ones before ran", async () => {
    values = { S0: "ahead-secret-value-1" };
    live = ["ahead-secret-value-1"];
    const before = sink.requests.length;
    const get = (id: string, url: unknown): Step =>
      ({ id, type: "http", request: { method: "GET", url, headers: {}, query: {}, body: null } }) as Step;
    const { entry } = await run(
      [
        get("one", { expr: `"${sink.url}/one?k=" + secrets.S0` }),
        get("two", { expr: `"${sink.url}/two/" + event.data.user` }),
        get("three", { expr: "secrets.NOPE" }),
        get("four", { expr: `"${sink.url}/four"` }),
      ],
      ["S0"],
    );
    assert.equal(entry.status, "failure");
    assert.deepEqual(
      entry.steps?.map((s) => [s.id, s.status]),
      [
        ["one", "success"],
        ["two", "success"],
        ["three", "failure"],
      ],
    );
    assert.equal(entry.error?.code, "secret_not_declared");
    assert.match(entry.error?.message ?? "", /^step three: request\.url: secret NOPE is not declared/);
    assert.deepEqual(
      sink.requests.slice(before).map((r) => r.url),
      ["/one?k=ahead-secret-value-1", "/two/ada"],
    );
  });

  it("a random flow's run-log entry never holds a value in any X6 form", async () => {
    const value = fc
      .stringMatching(/^[A-Za-z0-9 !"#$%&'()*+,./:;<=>?@[\\\]^_`{|}~-]{6,20}$/)
      .map((v) => `Zq9${v}`);
    const use = fc.constantFrom(
      "secrets.S0",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
      "`Bearer ${secrets.S1}`",
      "btoa(secrets.S0)",
      "btoa('user:' + secrets.S1).replace(/=+$/, '')",
      "encodeURIComponent(secrets.S0)",
      "JSON.stringify({ k: secrets.S1 })",
      "secrets.S0 + secrets.S1",
    );
    const step = (i: number): fc.Arbitrary<Step> =>
      fc.oneof(
        fc.record({ header: use, query: use, body: use }).map(
          (u): Step => ({
            id: `s${i}`,
            type: "http",
            request: {
              method: "POST",
              url: `${sink.url}/echo`,
              headers: { "X-Use": { expr: `encodeURIComponent(${u.header})` } },
              query: { q: { expr: u.query } },
              body: { expr: `({ v: ${u.body}, before: steps })` },
            },
          }),
        ),
        use.map(
          (u): Step => ({
            id: `s${i}`,
            type: "logic",
            code: `export default ({ secrets, steps }) => ({ out: ${u}, steps })`,
          }),
        ),
        use.map(
          (u): Step => ({
            id: `s${i}`,
            type: "app",
            installation: "chat",
            action: "a",
            input: { t: { expr: u } },
          }),
        ),
        use.map(
          (u): Step => ({
            id: `s${i}`,
            type: "http",
            request: {
              method: "GET",
              url: { expr: `"${sink.url}/" + (() => { throw new Error(${u}) })()` },
              headers: {},
              query: {},
              body: null,
            },
          }),
        ),
      );
    const flow = fc
      .integer({ min: 1, max: 4 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => step(i))));
    await fc.assert(
      fc.asyncProperty(value, value, value, flow, async (v0, v1, other, steps) => {
        values = { S0: v0, S1: v1 };
        live = [v0, v1, other, APP_TOKEN];
        const { entry } = await run(steps, ["S0", "S1"]);
        const text = JSON.stringify(entry);
        for (const v of [v0, v1, APP_TOKEN]) {
          for (const form of x6Forms(v)) assert.ok(!text.includes(form), `a form of a value leaked: ${text}`);
        }
      }),
      { numRuns: 25 },
    );
  });
});

/** The forms SPEC X6 names: as is, base64 (standard and URL-safe, with and without padding), percent-encoded, JSON-escaped. */
function x6Forms(v: string): string[] {
  const b64 = Buffer.from(v).toString("base64");
  const url = b64.replace(/\+/g, "-").replace(/\//g, "_");
  return [
    v,
    b64,
    b64.replace(/=+$/, ""),
    url,
    url.replace(/=+$/, ""),
    encodeURIComponent(v),
    JSON.stringify(v).slice(1, -1),
  ];
}

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Consumer } from "../../consumers/schema.js";
import { RunError } from "../../errors.js";
import type { SecretValue } from "../../secrets/types.js";
import { createSandboxPool, TRUNCATION_MARK } from "../sandbox/index.js";
import { MAX_CONSOLE_LINE_BYTES } from "../sandbox/types.js";
import { type DeliveryResult, type RenderedRequest, TRUNCATION_NOTE } from "../webhook/index.js";
import { createExecutor, type Deliverer, type FunctionResult, type FunctionRunner } from "./execute.js";
import { createRedactorCache } from "./redactors.js";
import type { RunEvent } from "./schema.js";

const TOKEN = "tok_live_9f8e7d6c5b4a";
const PASSWORD = "hunter2-but-longer";
const OTHER = "an-undeclared-live-secret";

const event: RunEvent = {
  id: "ev1",
  name: "order.created",
  data: { n: 1 },
  publishedAt: "2025-01-01T00:00:00.000Z",
};

function integration(overrides: Partial<Extract<Consumer, { kind: "integration" }>> = {}): Consumer {
  return {
    kind: "integration",
    id: "c1",
    orgId: "o1",
    projectId: "p1",
    name: "hook",
    event: "order",
    enabled: true,
    secrets: ["API_KEY", "CREDS"],
    timeoutMs: 1000,
    request: {
      method: "POST",
      url: "https://example.test/hook?key={{API_KEY}}",
      headers: { Authorization: "Bearer {{{API_KEY}}}" },
      query: {},
      body: '{"user":"{{CREDS.username}}","echo":"{{{secrets.API_KEY}}}"}',
      basicAuth: null,
    },
    ...overrides,
  } as Consumer;
}

function logic(code: string): Consumer {
  return {
    kind: "logic",
    id: "l1",
    orgId: "o1",
    projectId: "p1",
    name: "fn",
    event: "",
    enabled: true,
    secrets: ["API_KEY"],
    code,
    timeoutMs: 1000,
    memoryMb: 64,
  };
}

interface Fakes {
  values?: Record<string, SecretValue>;
  live?: string[];
  resolveError?: Error;
  redactionError?: Error;
  deliver?: (req: RenderedRequest) => DeliveryResult;
  run?: FunctionRunner["runFunction"];
}

function setup(f: Fakes = {}) {
  const delivered: RenderedRequest[] = [];
  const values = f.values ?? { API_KEY: TOKEN, CREDS: { username: "svc-user-name", password: PASSWORD } };
  const webhook: Deliverer = {
    async deliver(req) {
      delivered.push(req);
      return (
        f.deliver?.(req) ?? {
          ok: true,
          status: 200,
          headers: {},
          body: `got ${req.body}`,
          durationMs: 1,
          retryable: false,
        }
      );
    },
  };
  const sandbox: FunctionRunner = {
    runFunction:
      f.run ??
      (async (): Promise<FunctionResult> => ({ ok: true, output: null, console: [], durationMs: 1 })),
  };
  const executor = createExecutor({
    secrets: {
      async resolveForRun(_scope, names) {
        if (f.resolveError) throw f.resolveError;
        return { values: Object.fromEntries(names.map((n) => [n, values[n]!])) };
      },
      async redactionValues() {
        if (f.redactionError) throw f.redactionError;
        return f.live ?? [TOKEN, "svc-user-name", PASSWORD, OTHER];
      },
    },
    webhook,
    sandbox,
    redactors: createRedactorCache(),
  });
  return { executor, delivered };
}

test("a delivery carries the secret values while its run-log entry shows [[SENSITIVE]] in their place", async () => {
  const { executor, delivered } = setup();
  const { entry, retryable } = await executor.attempt(integration(), event, {
    deliveryId: "run-1",
    attempt: 1,
  });
  assert.equal(entry.status, "success");
  assert.equal(retryable, false);
  assert.equal(delivered.length, 1);
  assert.match(delivered[0]!.url, new RegExp(TOKEN));
  assert.equal(delivered[0]!.headers.Authorization, `Bearer ${TOKEN}`);
  const text = JSON.stringify(entry);
  for (const value of [TOKEN, PASSWORD, "svc-user-name"])
    assert.equal(text.includes(value), false, "a value leaked");
  assert.equal(entry.request?.headers.Authorization, "Bearer [[SENSITIVE]]");
  assert.equal(entry.request?.headers["X-Cloakroom-Delivery"], "run-1");
  assert.match(entry.response?.body ?? "", /\[\[SENSITIVE\]\]/);
});

test("a live secret the consumer does not declare is redacted too, when a target echoes it", async () => {
  const { executor } = setup({
    deliver: () => ({
      ok: true,
      status: 200,
      headers: { "x-leak": OTHER },
      body: `leaked ${OTHER}`,
      durationMs: 1,
      retryable: false,
    }),
  });
  const { entry } = await executor.attempt(integration(), event, { deliveryId: "r", attempt: 1 });
  assert.equal(JSON.stringify(entry).includes(OTHER), false);
  assert.equal(entry.response?.headers["x-leak"], "[[SENSITIVE]]");
});

test("a value rotated between resolving and redacting is still redacted", async () => {
  // The scope's list already holds the new value only; the run used the old one.
  const { executor } = setup({ live: ["the-new-value-after-rotation"] });
  const { entry } = await executor.attempt(integration(), event, { deliveryId: "r", attempt: 1 });
  assert.equal(JSON.stringify(entry).includes(TOKEN), false);
});

test("event data that contains a value is redacted in the entry", async () => {
  const { executor } = setup();
  const { entry } = await executor.attempt(
    integration(),
    { ...event, data: { pasted: TOKEN, [TOKEN]: 1 } },
    {
      deliveryId: "r",
      attempt: 1,
    },
  );
  assert.deepEqual(entry.event.data, { pasted: "[[SENSITIVE]]", "[[SENSITIVE]]": 1 });
});

test("an archived secret fails the run without retry and names the secret", async () => {
  const { executor, delivered } = setup({
    resolveError: new RunError("secret_archived", "secret API_KEY is archived"),
  });
  const { entry, retryable } = await executor.attempt(integration(), event, { deliveryId: "r", attempt: 1 });
  assert.equal(entry.status, "failure");
  assert.equal(retryable, false);
  assert.deepEqual(entry.error, { code: "secret_archived", message: "secret API_KEY is archived" });
  assert.equal(delivered.length, 0);
});

test("a database fault while resolving secrets is retried and says nothing of the fault", async () => {
  const { executor } = setup({ resolveError: new Error(`connection reset while reading ${TOKEN}`) });
  const { entry, retryable } = await executor.attempt(integration(), event, { deliveryId: "r", attempt: 1 });
  assert.equal(retryable, true);
  assert.equal(entry.error?.code, "secrets_unavailable");
  assert.equal(JSON.stringify(entry).includes("connection reset"), false);
});

test("a 503 with Retry-After is retryable and passes the wait on", async () => {
  const { executor } = setup({
    deliver: () => ({
      ok: false,
      status: 503,
      headers: { "retry-after": "7" },
      body: "",
      durationMs: 1,
      retryable: true,
    }),
  });
  const result = await executor.attempt(integration(), event, { deliveryId: "r", attempt: 2 });
  assert.equal(result.retryable, true);
  assert.equal(result.retryAfterMs, 7000);
  assert.equal(result.entry.attempts, 2);
  assert.deepEqual(result.entry.error, { code: "http_status", message: "the target answered HTTP 503" });
});

test("a 4xx answer fails without retry", async () => {
  const { executor } = setup({
    deliver: () => ({ ok: false, status: 400, headers: {}, body: "bad", durationMs: 1, retryable: false }),
  });
  const result = await executor.attempt(integration(), event, { deliveryId: "r", attempt: 1 });
  assert.equal(result.retryable, false);
  assert.equal(result.entry.response?.status, 400);
});

test("a header whose rendered value holds a line break fails the run before anything is sent", async () => {
  const { executor, delivered } = setup({
    values: { API_KEY: "line1\r\nX-Evil: 1", CREDS: { username: "u", password: "p" } },
  });
  const { entry, retryable } = await executor.attempt(integration(), event, { deliveryId: "r", attempt: 1 });
  assert.equal(entry.error?.code, "header_injection");
  assert.equal(retryable, false);
  assert.equal(delivered.length, 0);
});

test("a logic function's console, output and error are redacted in every encoding, keys included", async () => {
  const lines = [
    TOKEN,
    Buffer.from(TOKEN).toString("base64"),
    JSON.stringify({ k: TOKEN }),
    encodeURIComponent(`a b ${TOKEN}`),
  ];
  const { executor } = setup({
    run: async (input) => {
      assert.deepEqual(input.secrets, { API_KEY: TOKEN });
      return {
        ok: true,
        output: { [TOKEN]: TOKEN, nested: [Buffer.from(TOKEN).toString("base64url")] },
        console: lines.map((message) => ({ level: "log", message })),
        durationMs: 1,
      };
    },
  });
  const { entry } = await executor.attempt(logic("export default () => 1"), event, {
    deliveryId: "r",
    attempt: 1,
  });
  assert.equal(entry.status, "success");
  const text = JSON.stringify(entry);
  assert.equal(text.includes(TOKEN), false);
  assert.equal(text.includes(Buffer.from(TOKEN).toString("base64")), false);
  assert.deepEqual(entry.output, { "[[SENSITIVE]]": "[[SENSITIVE]]", nested: ["[[SENSITIVE]]"] });
  assert.equal(entry.console?.length, 4);
});

test("when the secrets to redact with cannot be read, the entry keeps only its outcome", async () => {
  const { executor } = setup({ redactionError: new Error("db down") });
  const { entry } = await executor.attempt(integration(), event, { deliveryId: "r", attempt: 1 });
  assert.equal(entry.request, undefined);
  assert.equal(entry.response, undefined);
  assert.equal(entry.event.data, null);
  assert.equal(JSON.stringify(entry).includes(TOKEN), false);
});

test("the outcome-only entry is still redacted with the run's own values: one in the event's name does not survive", async () => {
  const { executor } = setup({ redactionError: new Error("db down") });
  const named = { ...event, name: `order.${TOKEN}` };
  const { entry } = await executor.attempt(integration(), named, { deliveryId: "r", attempt: 1 });
  assert.equal(entry.event.name, "order.[[SENSITIVE]]");
  assert.equal(JSON.stringify(entry).includes(TOKEN), false);
});

test("a value cut by the sandbox's console cap or the response body cap leaves no prefix in the entry", async () => {
  const pool = createSandboxPool({ size: 1 });
  try {
    // The cap keeps 16,369 bytes and the mark: the line is cut five characters into the token.
    const pad = MAX_CONSOLE_LINE_BYTES - Buffer.byteLength(TRUNCATION_MARK) - 5;
    const { executor } = setup({
      run: (input) => pool.runFunction(input),
      deliver: () => ({
        ok: true,
        status: 200,
        headers: {},
        body: `resp ${TOKEN.slice(0, 12)}${TRUNCATION_NOTE}`,
        bodyTruncated: true,
        durationMs: 1,
        retryable: false,
      }),
    });
    const code = `export default ({ secrets }) => {
      console.log("x".repeat(${pad}) + secrets.API_KEY + " and more");
      throw new Error("y".repeat(${pad - 7}) + secrets.API_KEY);
    }`;
    // A generous deadline: the machine may be busy, and a timeout would say nothing about the cut.
    const fn = await executor.attempt({ ...logic(code), timeoutMs: 20_000 } as Consumer, event, {
      deliveryId: "r1",
      attempt: 1,
    });
    const line = fn.entry.console?.[0]?.message ?? "";
    assert.equal(line, `${"x".repeat(pad)}${TRUNCATION_MARK}`);
    assert.ok(fn.entry.error?.message.endsWith(TRUNCATION_MARK), fn.entry.error?.message.slice(-40));
    assert.equal(JSON.stringify(fn.entry).includes("tok_"), false, "a prefix of the token was kept");

    const hook = await executor.attempt(integration(), event, { deliveryId: "r2", attempt: 1 });
    assert.equal(hook.entry.response?.body, `resp ${TRUNCATION_NOTE}`);
  } finally {
    await pool.close();
  }
});

/**
 * What secrets cost a webhook run (X2, X6): the same integration with 5 secrets (token, username and
 * password, JSON) against a twin that declares none and carries literal text of the same length, warm
 * caches, measured in the same run with the two interleaved. Target: at most 1.1x.
 *
 * Two levels: one attempt as the worker runs it (resolve, render, deliver, redact the entry) and the whole
 * test endpoint (HTTP API, authorization, the same attempt, the run log written). The organization holds
 * the same secrets in both cases, so redaction searches the same values: the difference is what using
 * secrets adds, not what having them does.
 *
 *   npx tsx bench/webhook.bench.ts
 */
import { loadConsumers } from "../src/consumers/store.js";
import { createExecutor } from "../src/runtime/runner/execute.js";
import { createRedactorCache } from "../src/runtime/runner/redactors.js";
import type { RunEvent } from "../src/runtime/runner/schema.js";
import { createSandboxPool } from "../src/runtime/sandbox/index.js";
import { createWebhookClient } from "../src/runtime/webhook/index.js";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer } from "../src/testing/server.js";
import { startBenchSink } from "./support.js";
import { secretsServiceOver } from "./worker-path.js";

const ROUNDS = 40;
const PER_ROUND = 100;
const HTTP_PER_ROUND = 30;

const { server: sink, url: sinkUrl } = await startBenchSink('{"ok":true}');

// 40 rounds call the test endpoint 2,400 times: far beyond the default per-organization run rate (600 a
// minute), which would answer 429 partway through.
const server = await startTestServer(testDatabases()[0]!, {
  CLOAKROOM_LOG_LEVEL: "warn",
  CLOAKROOM_ORG_RUN_RATE: "0",
});
const { token } = await server.setup({ org: "bench" });
const call = async (method: string, path: string, body?: unknown) => {
  const res = await server.request(method, path, { token, ...(body !== undefined ? { body } : {}) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
};
await call("POST", "/v1/orgs/bench/projects", { slug: "p", name: "p" });
const secrets: [string, string, unknown][] = [
  ["API_KEY", "token", "k_live_0123456789abcdef0123"],
  ["SIGNING_KEY", "token", "whsec_abcdefghijklmnopqrstu"],
  ["TENANT", "token", "tenant-4f9a2c71"],
  ["CREDS", "username_password", { username: "svc-bench-user", password: "pw-0123456789abcdef" }],
  ["CFG", "json", { region: "eu-west-1", endpoint: { token: "cfg-token-abcdef012345" } }],
];
for (const [name, type, value] of secrets)
  await call("POST", "/v1/orgs/bench/secrets", { name, type, value });

const withSecrets = await call("POST", "/v1/orgs/bench/projects/p/integrations", {
  name: "with-secrets",
  secrets: secrets.map(([name]) => name),
  request: {
    method: "POST",
    url: `${sinkUrl}/hook?tenant={{TENANT}}`,
    headers: {
      Authorization: "Bearer {{{API_KEY}}}",
      "X-Signature": "{{{SIGNING_KEY}}}",
      "X-Region": "{{CFG.region}}",
    },
    body: '{"event":"{{event.name}}","token":"{{CFG.endpoint.token}}","data":{{{event.data}}}}',
    basicAuth: { username: "{{CREDS.username}}", password: "{{CREDS.password}}" },
  },
});
// Literal text of the same lengths where the twin has secrets.
const without = await call("POST", "/v1/orgs/bench/projects/p/integrations", {
  name: "without-secrets",
  secrets: [],
  request: {
    method: "POST",
    url: `${sinkUrl}/hook?tenant=tenant-00000000`,
    headers: {
      Authorization: "Bearer x_live_0000000000000000000",
      "X-Signature": "xxxxxx_xxxxxxxxxxxxxxxxxxxx",
      "X-Region": "xx-xxxx-1",
    },
    body: '{"event":"{{event.name}}","token":"xxx-xxxxx-xxxxxxxxxxxx","data":{{{event.data}}}}',
    basicAuth: { username: "xxx-xxxxx-xxxx", password: "xx-0000000000000000" },
  },
});

// The attempt as the worker runs it, over the server's own database, with a secrets service of its own.
const store = server.cloakroom.store;
const secretsService = await secretsServiceOver(server);
const webhook = createWebhookClient({ allowPrivate: true });
const sandbox = createSandboxPool({ size: 1 });
const executor = createExecutor({
  secrets: secretsService,
  webhook,
  sandbox,
  redactors: createRedactorCache(),
});
const consumers = await loadConsumers(store.db, [withSecrets.id, without.id]);
const a = consumers.get(withSecrets.id)!;
const b = consumers.get(without.id)!;
const event: RunEvent = {
  id: "e1",
  name: "order.created",
  data: { id: 42, total: "19.99" },
  publishedAt: new Date().toISOString(),
};

async function attempts(consumer: typeof a, n: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const { entry } = await executor.attempt(consumer, event, { deliveryId: `d${i}`, attempt: 1 });
    if (entry.status !== "success") throw new Error(`run failed: ${entry.error?.code}`);
  }
  return performance.now() - started;
}

async function endpoint(id: string, n: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const body = await call("POST", `/v1/orgs/bench/projects/p/integrations/${id}/test`);
    if (body.status !== "success") throw new Error(`run failed: ${body.error?.code}`);
  }
  return performance.now() - started;
}

// Warm-up: JIT, connections, decrypted values, redactor.
await attempts(a, 50);
await attempts(b, 50);
await endpoint(withSecrets.id, 10);
await endpoint(without.id, 10);

const ratios = { attempt: [] as number[], endpoint: [] as number[] };
const totals = { a: 0, b: 0, ha: 0, hb: 0 };
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which goes first so a drift in the machine's load does not favour one side.
  const first = round % 2 === 0;
  const r = { a: 0, b: 0, ha: 0, hb: 0 };
  if (first) r.a = await attempts(a, PER_ROUND);
  r.b = await attempts(b, PER_ROUND);
  if (!first) r.a = await attempts(a, PER_ROUND);
  if (first) r.ha = await endpoint(withSecrets.id, HTTP_PER_ROUND);
  r.hb = await endpoint(without.id, HTTP_PER_ROUND);
  if (!first) r.ha = await endpoint(withSecrets.id, HTTP_PER_ROUND);
  ratios.attempt.push(r.a / r.b);
  ratios.endpoint.push(r.ha / r.hb);
  totals.a += r.a;
  totals.b += r.b;
  totals.ha += r.ha;
  totals.hb += r.hb;
}

// The median of the per-round ratios: a burst of load on the shared machine spoils one round, not the figure.
const median = (xs: number[]) => {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const perRun = (ms: number, n: number) => ms / (ROUNDS * n);
const rows = [
  ["attempt (worker path)", perRun(totals.b, PER_ROUND), perRun(totals.a, PER_ROUND), median(ratios.attempt)],
  [
    "test endpoint (HTTP + log)",
    perRun(totals.hb, HTTP_PER_ROUND),
    perRun(totals.ha, HTTP_PER_ROUND),
    median(ratios.endpoint),
  ],
] as const;
const table = rows.map(([level, none, five, ratio]) => [
  level,
  `${none.toFixed(3)} ms`,
  `${five.toFixed(3)} ms`,
  `${ratio.toFixed(3)}x`,
  ratio <= 1.1 ? "met" : "MISSED",
]);
const head = ["level", "no secrets (mean)", "5 secrets (mean)", "ratio (median of rounds)", "target <= 1.1x"];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(`\n${ROUNDS} interleaved rounds (SQLite, warm caches, sink on 127.0.0.1)\n`);
console.log(line(head));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of table) console.log(line(row));

await secretsService.close();
await webhook.close();
await sandbox.close();
await server.close();
sink.close();

/**
 * Message templates (SPEC X5): sends per second through a template's webhook channel against a webhook
 * integration that sends the very same request (same URL, headers and JSON body bytes), on two shapes of
 * message (a one-line message with one secret; a 4 KiB message with 10 macros), one attempt as the worker
 * runs it (resolve, render, deliver, redact), the two interleaved in the same run. Target: at least 0.8x.
 *
 * And the preview's latency for the 4 KiB template with 10 macros, rendered alone and through the HTTP
 * endpoint (authorization, loading the template, rendering). Target: under 5 ms.
 *
 *   npm run bench -- templates
 */
import { loadConsumers } from "../src/consumers/store.js";
import { createMailChannel } from "../src/mail/channel.js";
import { createExecutor } from "../src/runtime/runner/execute.js";
import { createRedactorCache } from "../src/runtime/runner/redactors.js";
import type { RunEvent } from "../src/runtime/runner/schema.js";
import { createSandboxPool } from "../src/runtime/sandbox/index.js";
import { renderPreview } from "../src/runtime/templates/render.js";
import { createTemplateSender } from "../src/runtime/templates/send.js";
import { createWebhookClient } from "../src/runtime/webhook/index.js";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer } from "../src/testing/server.js";
import { startBenchSink } from "./support.js";
import { secretsServiceOver } from "./worker-path.js";

const ROUNDS = 20;
const PER_ROUND = 100;
const PREVIEWS = 2000;
const HTTP_PREVIEWS = 300;

const { server: sink, url: sinkUrl } = await startBenchSink('{"ok":true}');

const server = await startTestServer(testDatabases()[0]!, { CLOAKROOM_LOG_LEVEL: "warn" });
const { token } = await server.setup({ org: "bench" });
const call = async (method: string, path: string, body?: unknown) => {
  const res = await server.request(method, path, { token, ...(body !== undefined ? { body } : {}) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
};
const p = "/v1/orgs/bench/projects/p";
await call("POST", "/v1/orgs/bench/projects", { slug: "p", name: "p" });
const names = Array.from({ length: 10 }, (_, i) => `KEY_${i}`);
for (const [i, name] of names.entries()) {
  await call("POST", "/v1/orgs/bench/secrets", {
    name,
    type: "token",
    value: `k_live_${i}_0123456789abcdef`,
  });
}

/** A message of about `bytes` with the given macros spread through it. */
function message(bytes: number, macros: string[]): string {
  const filler = "The quick brown fox jumps over the lazy dog. ";
  const chunk = Math.max(1, Math.floor(bytes / (macros.length + 1)));
  const pad = () => filler.repeat(Math.ceil(chunk / filler.length)).slice(0, chunk);
  return macros.map((m) => `${pad()}${m} `).join("") + pad();
}

const shapes = [
  { shape: "1 line, 1 secret", secrets: ["KEY_0"], body: "key {{secrets.KEY_0}} for {{event.name}}" },
  {
    shape: "4 KiB, 10 macros",
    secrets: names.slice(0, 8),
    body: message(4096, [
      ...names.slice(0, 8).map((n) => `{{secrets.${n}}}`),
      "{{event.name}}",
      "{{event.data.id}}",
    ]),
  },
];
const subject = "Order {{event.data.id}}";
const headers = { "X-Key": "{{KEY_0}}" };

const pairs = [];
for (const s of shapes) {
  const template = await call("POST", `${p}/templates`, {
    name: `t ${s.shape}`,
    secrets: s.secrets.includes("KEY_0") ? s.secrets : [...s.secrets, "KEY_0"],
    subject,
    body: s.body,
    channel: { type: "webhook", url: `${sinkUrl}/hook`, headers },
  });
  // The same request as an integration: its JSON body template renders to the template's message bytes.
  const integration = await call("POST", `${p}/integrations`, {
    name: `i ${s.shape}`,
    secrets: s.secrets.includes("KEY_0") ? s.secrets : [...s.secrets, "KEY_0"],
    request: {
      method: "POST",
      url: `${sinkUrl}/hook`,
      headers: { ...headers, "Content-Type": "application/json" },
      body: `{"subject":"${subject}","body":"${s.body.replaceAll("secrets.", "")}"}`,
    },
  });
  pairs.push({ shape: s.shape, template: template.id as string, integration: integration.id as string });
}

const store = server.cloakroom.store;
const secretsService = await secretsServiceOver(server);
const webhook = createWebhookClient({ allowPrivate: true });
const sandbox = createSandboxPool({ size: 1 });
const executor = createExecutor({
  secrets: secretsService,
  webhook,
  sandbox,
  templates: createTemplateSender({ webhook, mail: createMailChannel({ allowPrivate: true }) }),
  redactors: createRedactorCache(),
});
const consumers = await loadConsumers(
  store.db,
  pairs.flatMap((x) => [x.template, x.integration]),
);
const event: RunEvent = {
  id: "e1",
  name: "order.created",
  data: { id: 42 },
  publishedAt: new Date().toISOString(),
};

async function attempts(id: string, n: number): Promise<number> {
  const consumer = consumers.get(id)!;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const { entry } = await executor.attempt(consumer, event, { deliveryId: `d${i}`, attempt: 1 });
    if (entry.status !== "success")
      throw new Error(`run failed: ${entry.error?.code} ${entry.error?.message}`);
  }
  return performance.now() - started;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const quantile = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))]!;

const table: string[][] = [];
for (const pair of pairs) {
  await attempts(pair.template, 50);
  await attempts(pair.integration, 50);
  const ratios: number[] = [];
  let t = 0;
  let i = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first so a drift in the machine's load does not favour one side.
    const first = round % 2 === 0;
    let a = 0;
    if (first) a = await attempts(pair.template, PER_ROUND);
    const b = await attempts(pair.integration, PER_ROUND);
    if (!first) a = await attempts(pair.template, PER_ROUND);
    ratios.push(b / a); // sends/s of the template over sends/s of the integration
    t += a;
    i += b;
  }
  const perSecond = (ms: number) => (ROUNDS * PER_ROUND * 1000) / ms;
  const ratio = median(ratios);
  table.push([
    pair.shape,
    `${perSecond(i).toFixed(0)}/s`,
    `${perSecond(t).toFixed(0)}/s`,
    `${ratio.toFixed(3)}x`,
    ratio >= 0.8 ? "met" : "MISSED",
  ]);
}

const print = (head: string[], rows: string[][]) => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(head));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
};
console.log(
  `\nSends through the webhook channel: ${ROUNDS} interleaved rounds of ${PER_ROUND} (SQLite, warm caches)\n`,
);
print(["message", "integration", "template", "ratio (median of rounds)", "target >= 0.8x"], table);

// Preview of the 4 KiB template with 10 macros.
const big = pairs[1]!;
const loaded = consumers.get(big.template)!;
if (loaded.kind !== "template") throw new Error("not a template");
const renderTimes: number[] = [];
for (let n = 0; n < PREVIEWS; n++) {
  const started = performance.now();
  const out = renderPreview(loaded, event);
  renderTimes.push(performance.now() - started);
  if (!out.body.includes("[[SENSITIVE]]")) throw new Error("preview without markers");
}
// The endpoint interleaved with a GET of the same template (the same authorization and load, no
// rendering): on a shared machine the HTTP path's own cost is what the baseline shows.
const httpTimes: number[] = [];
const getTimes: number[] = [];
for (let n = 0; n < HTTP_PREVIEWS; n++) {
  let started = performance.now();
  await call("POST", `${p}/templates/${big.template}/preview`, { event: { data: { id: n } } });
  httpTimes.push(performance.now() - started);
  started = performance.now();
  await call("GET", `${p}/templates/${big.template}`);
  getTimes.push(performance.now() - started);
}
const row = (what: string, xs: number[]) => {
  const p99 = quantile(xs.slice(50), 0.99);
  return [what, `${median(xs.slice(50)).toFixed(3)} ms`, `${p99.toFixed(3)} ms`, p99 < 5 ? "met" : "MISSED"];
};
console.log(`\nPreview of a ${Buffer.byteLength(shapes[1]!.body)}-byte template with 10 macros\n`);
print(
  ["level", "median", "p99", "target < 5 ms"],
  [
    row("render alone", renderTimes),
    row("POST .../preview", httpTimes),
    row("GET .../templates/{id} (baseline)", getTimes),
  ],
);
console.log(
  `\npreview endpoint / GET baseline (medians): ${(median(httpTimes) / median(getTimes)).toFixed(3)}x`,
);

await secretsService.close();
await webhook.close();
await sandbox.close();
await server.close();
sink.close();

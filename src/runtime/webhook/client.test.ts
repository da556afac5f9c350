import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { after, describe, it } from "node:test";
import { createWebhookClient, DEFAULT_MAX_RESPONSE_BYTES, TRUNCATION_NOTE } from "./client.js";
import { renderWebhookRequest } from "./template.js";

interface Sink {
  url: string;
  port: number;
  connections: number;
  requests: number;
  close(): Promise<void>;
}

/** A real HTTP server on loopback; `handler` answers, the sink counts connections and requests. */
async function startSink(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Sink> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    sink.requests++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  server.on("connection", (socket) => {
    sink.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address && typeof address === "object");
  const sink: Sink = {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    connections: 0,
    requests: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
  return sink;
}

const echo = (req: IncomingMessage, res: ServerResponse, body: string) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
};

const local = createWebhookClient({ allowPrivate: true });
const guarded = createWebhookClient({ allowPrivate: false });
after(async () => {
  await local.close();
  await guarded.close();
});

const get = (url: string) => ({ method: "GET", url, headers: {}, body: null });
const opts = { deliveryId: "dlv_test" };

describe("delivery", () => {
  it("a rendered request arrives as rendered, with the delivery id and Cloakroom's User-Agent", async (t) => {
    const sink = await startSink(echo);
    t.after(sink.close);
    const rendered = renderWebhookRequest(
      {
        method: "post",
        url: `${sink.url}/hooks/{{event.data.device}}`,
        headers: { "X-Api-Key": "{{{API_KEY}}}" },
        query: { at: "{{event.publishedAt}}" },
        body: '{"event": "{{event.name}}", "temp": {{event.data.celsius}}}',
        basicAuth: { username: "{{{CREDS.username}}}", password: "{{{CREDS.password}}}" },
      },
      {
        secrets: { API_KEY: "sk_live_abc", CREDS: { username: "u", password: "p w" } },
        event: {
          id: "e1",
          name: 'say "hi"',
          data: { device: "dev 1", celsius: 20 },
          publishedAt: "2025-01-01",
        },
      },
    );
    const result = await local.deliver(rendered, { deliveryId: "dlv_42" });
    assert.equal(result.ok, true, JSON.stringify(result.error));
    assert.equal(result.status, 200);
    assert.equal(result.retryable, false);
    assert.equal(result.headers?.["content-type"], "application/json");
    const seen = JSON.parse(result.body ?? "") as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    assert.equal(seen.method, "POST");
    assert.equal(seen.url, "/hooks/dev%201?at=2025-01-01");
    assert.equal(seen.headers["x-api-key"], "sk_live_abc");
    assert.equal(seen.headers.authorization, `Basic ${Buffer.from("u:p w").toString("base64")}`);
    assert.equal(seen.headers["x-cloakroom-delivery"], "dlv_42");
    assert.match(seen.headers["user-agent"] ?? "", /^cloakroom\/\d+\.\d+\.\d+/);
    assert.equal(seen.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(seen.body), { event: 'say "hi"', temp: 20 });
  });

  it("a User-Agent set by the template is kept; the delivery id header is always Cloakroom's", async (t) => {
    const sink = await startSink(echo);
    t.after(sink.close);
    const result = await local.deliver(
      { ...get(sink.url), headers: { "User-Agent": "mine/1", "X-Cloakroom-Delivery": "forged" } },
      opts,
    );
    const seen = JSON.parse(result.body ?? "") as { headers: Record<string, string> };
    assert.equal(seen.headers["user-agent"], "mine/1");
    assert.equal(seen.headers["x-cloakroom-delivery"], "dlv_test");
  });

  it("a 5xx or 429 answer is a retryable failure, a 4xx a final one", async (t) => {
    const sink = await startSink((req, res) => {
      res.statusCode = Number(req.url?.slice(1));
      res.end("nope");
    });
    t.after(sink.close);
    for (const [status, retryable] of [
      [500, true],
      [503, true],
      [429, true],
      [404, false],
      [400, false],
    ] as const) {
      const result = await local.deliver(get(`${sink.url}/${status}`), opts);
      assert.deepEqual(
        [result.ok, result.status, result.retryable, result.body],
        [false, status, retryable, "nope"],
      );
      assert.equal(result.error, undefined);
    }
  });

  it("deliveries to one origin reuse a kept-alive connection", async (t) => {
    const sink = await startSink(echo);
    t.after(sink.close);
    for (let i = 0; i < 10; i++) assert.equal((await local.deliver(get(sink.url), opts)).ok, true);
    assert.equal(sink.requests, 10);
    // undici may open a second connection while the first is still finishing its previous response.
    assert.ok(sink.connections <= 2, `${sink.connections} connections for 10 deliveries`);
  });

  it("a redirect is not followed: the redirect's target receives nothing", async (t) => {
    const target = await startSink(echo);
    t.after(target.close);
    const sink = await startSink((_req, res) => {
      res.writeHead(302, { location: `${target.url}/stolen` });
      res.end();
    });
    t.after(sink.close);
    const result = await local.deliver(get(sink.url), opts);
    assert.equal(result.ok, false);
    assert.equal(result.status, 302);
    assert.equal(result.retryable, false);
    assert.equal(result.error?.code, "redirect_refused");
    assert.equal(result.headers?.location, `${target.url}/stolen`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(target.connections, 0);
  });

  it("a sink slower than the timeout to answer gives a retryable timeout", async (t) => {
    const sink = await startSink((_req, res) => {
      setTimeout(() => res.end("late"), 3000).unref();
    });
    t.after(sink.close);
    const result = await local.deliver(get(sink.url), { ...opts, timeoutMs: 200 });
    assert.equal(result.error?.code, "timeout");
    assert.equal(result.retryable, true);
    assert.equal(result.ok, false);
    assert.ok(result.durationMs >= 150 && result.durationMs < 2000, `took ${result.durationMs} ms`);
  });

  it("the timeout also covers a body that trickles in after prompt headers", async (t) => {
    const sink = await startSink((_req, res) => {
      res.writeHead(200);
      res.write("first");
      const timer = setInterval(() => res.write("."), 50);
      res.on("close", () => clearInterval(timer));
    });
    t.after(sink.close);
    const result = await local.deliver(get(sink.url), { ...opts, timeoutMs: 300 });
    assert.equal(result.error?.code, "timeout");
    assert.equal(result.status, 200);
    assert.equal(result.ok, false);
    assert.ok(result.durationMs < 2000, `took ${result.durationMs} ms`);
  });

  it("a huge response is cut at 64 KiB and the rest is never read", async (t) => {
    const total = 64 * 1024 * 1024;
    let sinkClosed!: (finished: boolean) => void;
    const sinkDone = new Promise<boolean>((resolve) => {
      sinkClosed = resolve;
    });
    const sink = await startSink(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.on("close", () => sinkClosed(res.writableFinished));
      const chunk = Buffer.alloc(64 * 1024, "x");
      for (let sent = 0; sent < total && !res.destroyed; sent += chunk.length) {
        if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
      }
      res.end();
    });
    t.after(sink.close);
    const result = await local.deliver(get(sink.url), opts);
    assert.equal(result.ok, true);
    assert.equal(result.bodyTruncated, true);
    assert.equal(result.body, "x".repeat(DEFAULT_MAX_RESPONSE_BYTES) + TRUNCATION_NOTE);
    assert.equal(await sinkDone, false, "the sink managed to send the whole body");
  });

  it("a smaller maxResponseBytes is honoured, a body within it is whole", async (t) => {
    const sink = await startSink((_req, res) => res.end("0123456789"));
    t.after(sink.close);
    const cut = await local.deliver(get(sink.url), { ...opts, maxResponseBytes: 4 });
    assert.equal(cut.body, "0123" + TRUNCATION_NOTE);
    const whole = await local.deliver(get(sink.url), { ...opts, maxResponseBytes: 10 });
    assert.deepEqual([whole.body, whole.bodyTruncated], ["0123456789", undefined]);
  });

  it("a refused connection is a retryable network error whose message quotes no URL", async () => {
    const sink = await startSink(echo);
    const { port } = sink;
    await sink.close();
    const result = await local.deliver(get(`http://127.0.0.1:${port}/x?token=sk_live_secret`), opts);
    assert.equal(result.error?.code, "network_error");
    assert.equal(result.retryable, true);
    assert.match(result.error?.message ?? "", /ECONNREFUSED/);
    assert.ok(!result.error?.message.includes("sk_live_secret"));
    assert.ok(!result.error?.message.includes(String(port)));
  });
});

describe("SSRF guard (private targets not allowed)", () => {
  it("loopback, private, link-local and mapped addresses are refused before connecting", async (t) => {
    const sink = await startSink(echo);
    t.after(sink.close);
    const targets = [
      [`http://127.0.0.1:${sink.port}/`, "127.0.0.1"],
      [`http://[::1]:${sink.port}/`, "::1"],
      ["http://169.254.169.254/latest/meta-data/", "169.254.169.254"],
      ["http://10.0.0.1/", "10.0.0.1"],
      [`http://localhost:${sink.port}/`, "localhost"],
      [`https://localhost:${sink.port}/`, "localhost"],
      [`https://127.0.0.1:${sink.port}/`, "127.0.0.1"],
      [`http://[::ffff:127.0.0.1]:${sink.port}/`, "::ffff:7f00:1"],
      [`http://2130706433:${sink.port}/`, "127.0.0.1"],
      [`http://0x7f.1:${sink.port}/`, "127.0.0.1"],
    ];
    for (const [url, host] of targets) {
      const result = await guarded.deliver(get(url as string), { ...opts, timeoutMs: 2000 });
      assert.equal(result.error?.code, "target_forbidden", `${url}: ${JSON.stringify(result)}`);
      assert.equal(result.retryable, false);
      assert.equal(result.ok, false);
      assert.ok(result.error?.message.includes(`webhook target ${host} `), result.error?.message);
    }
    assert.equal(sink.connections, 0);
  });

  it("a redirect from an allowed server to loopback is not followed", async (t) => {
    // Honest construction: the only network here is loopback, so the first hop runs with private targets
    // allowed; what is under test is that the second hop never happens.
    const target = await startSink(echo);
    t.after(target.close);
    const sink = await startSink((_req, res) => {
      res.writeHead(307, { location: `http://127.0.0.1:${target.port}/internal` });
      res.end();
    });
    t.after(sink.close);
    const result = await local.deliver({ method: "POST", url: sink.url, headers: {}, body: "{}" }, opts);
    assert.equal(result.error?.code, "redirect_refused");
    assert.equal(result.status, 307);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(target.connections, 0);
  });
});

/**
 * CLOAKROOM_TRUST_PROXY (issue 7 item 10): with one trusted hop, the address is the one the proxy saw,
 * whatever X-Forwarded-For the client wrote. The proxy here is a real HTTP proxy that appends the peer's
 * address, as nginx's $proxy_add_x_forwarded_for does.
 */
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { loadConfig } from "../config.js";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { parseTrustProxy, TRUST_PROXY_TRUE_REFUSED } from "./trust-proxy.js";

async function startForwardingProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const seen = req.socket.remoteAddress ?? "";
    const prior = req.headers["x-forwarded-for"];
    const forwarded = prior ? `${prior}, ${seen}` : seen;
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, "x-forwarded-for": forwarded },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const database = testDatabases()[0]!;

describe("trusting one proxy hop", () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof startForwardingProxy>>;
  before(async () => {
    server = await startTestServer(database, { CLOAKROOM_TRUST_PROXY: "1" });
    await server.setup();
    proxy = await startForwardingProxy(server.url);
  });
  after(async () => {
    await proxy?.close();
    await server?.close();
  });

  it("a client forging X-Forwarded-For neither bypasses the sign-in limit nor chooses its audit address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      const res = await fetch(`${proxy.url}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": `198.51.100.${i}, 203.0.113.${i}` },
        body: JSON.stringify({ email: "owner@example.com", password: `wrong password ${i}` }),
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
    assert.deepEqual(statuses.slice(20), Array(4).fill(429), "forged addresses escaped the rate limit");
    const rows = await server.cloakroom.store.db
      .selectFrom("audit_log")
      .select("source_ip")
      .where("action", "=", "auth.login")
      .where("outcome", "=", "failure")
      .execute();
    assert.equal(rows.length, 20);
    assert.deepEqual([...new Set(rows.map((r) => r.source_ip))], ["127.0.0.1"]);
  });
});

describe("CLOAKROOM_TRUST_PROXY is checked at start", () => {
  const flags = { host: "127.0.0.1", port: 0, dataDir: "/tmp/unused" };
  it("true is refused with a message saying what to write instead", () => {
    for (const value of ["true", "TRUE", "0.0.0.0/0", "::/0"]) {
      assert.throws(
        () => loadConfig(flags, { CLOAKROOM_TRUST_PROXY: value }),
        (error: Error) =>
          /CLOAKROOM_TRUST_PROXY/.test(error.message) && /\(e\.g\. 1\)|same as true/.test(error.message),
        value,
      );
    }
    assert.match(TRUST_PROXY_TRUE_REFUSED, /number of proxies/);
  });

  it("a hop count, or a list of addresses and CIDRs, is accepted; anything else is refused", () => {
    assert.equal(parseTrustProxy(""), false);
    assert.equal(parseTrustProxy("false"), false);
    assert.equal(parseTrustProxy("0"), false);
    assert.equal(parseTrustProxy("2"), 2);
    assert.deepEqual(parseTrustProxy("10.0.0.5, 10.1.0.0/16,fd00::/8,loopback"), [
      "10.0.0.5",
      "10.1.0.0/16",
      "fd00::/8",
      "loopback",
    ]);
    for (const bad of ["11", "yes", "10.0.0.5,", "10.0.0.0/33", "fd00::/129", "10.0.0.0/x", "example.com"]) {
      assert.throws(() => parseTrustProxy(bad), Error, bad);
    }
    assert.equal(loadConfig(flags, { CLOAKROOM_TRUST_PROXY: "1" }).trustProxy, 1);
  });

  it("the parser never accepts a setting that trusts every address (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        let parsed: ReturnType<typeof parseTrustProxy>;
        try {
          parsed = parseTrustProxy(text);
        } catch {
          return true;
        }
        if (parsed === false || typeof parsed === "number")
          return parsed === false || (parsed >= 1 && parsed <= 10);
        return parsed.every((entry) => !entry.endsWith("/0") && entry !== "true" && entry !== "");
      }),
    );
  });
});

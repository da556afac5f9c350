/**
 * Malformed requests get a 4xx in SPEC's error shape, never a 500, a broken connection or silently altered
 * data: oversized bodies sent by clients that write before they read, deep JSON, invalid UTF-8, oversized
 * headers, malformed request lines, non-decimal page limits and look-alike slugs.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { eventually, type RuntimeFixture, runtimeFixture } from "../runtime/runner/testing/fixture.js";
import { tempDir, testDatabases } from "../store/testing.js";
import { type ServerProcess, startServerProcess } from "../testing/process.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { jsonDepth, MAX_JSON_DEPTH } from "./json-body.js";

/** Sends raw bytes and returns everything the server wrote back before closing. */
function rawExchange(url: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (e: NodeJS.ErrnoException) =>
      e.code === "ECONNRESET" ? resolve(Buffer.concat(chunks).toString()) : reject(e),
    );
    socket.on("close", () => resolve(Buffer.concat(chunks).toString()));
  });
}

function errorShapeOf(response: string): {
  status: number;
  body: { error: { code: string; message: string } };
} {
  const status = Number(response.split(" ")[1]);
  const body = JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
  return { status, body };
}

const nested = (depth: number, leaf: unknown = 1): string =>
  `${'{"a":'.repeat(depth)}${JSON.stringify(leaf)}${"}".repeat(depth)}`;

describe("a refused body", () => {
  // A separate process, as in production: in-process, the client's writes and the server's close share one
  // event loop and the race that ends in EPIPE does not show.
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess(["--data-dir", tempDir()], {});
  });
  after(() => server.stop());

  it("a body over the limit sent by Node's fetch gets the 413 in the error shape, not a broken pipe", async () => {
    for (const mib of [2, 8, 16]) {
      const res = await fetch(`${server.url}/v1/setup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"org":"${"a".repeat(mib * 1024 * 1024)}"}`,
      });
      assert.equal(res.status, 413, `${mib} MiB`);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "payload_too_large");
    }
    // A streamed body of unknown length takes the other path (counted while read): same answer.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"org":"'));
        if (sent >= 8 * 1024 * 1024) {
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await fetch(`${server.url}/v1/setup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal(((await streamed.json()) as { error: { code: string } }).error.code, "payload_too_large");
  });
});

for (const database of testDatabases()) {
  describe(`bad input on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;

    before(async () => {
      server = await startTestServer(database);
      f = await runtimeFixture(server);
    });
    after(() => server.close());

    it(`JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused with 400 naming the limit, on every route`, async () => {
      const logic = await f.logic({
        name: "echo",
        event: "deep",
        secrets: [],
        code: "export default function process({ event }) { return event.data; }",
        timeoutMs: 10_000,
      });
      const cases: [string, string][] = [
        [f.p("/events"), `{"name":"deep","data":${nested(5_000)}}`],
        [f.p(`/logic/${logic.id}/run`), `{"event":{"data":${nested(5_000)}}}`],
        ["/v1/orgs/acme/secrets", `{"name":"DEEP","type":"json","value":${nested(100_000)}}`],
        ["/v1/orgs/acme/secrets", `{"name":"DEEP","type":"json","value":${"[".repeat(100_000)}`],
      ];
      for (const [path, rawBody] of cases) {
        const res = await server.request("POST", path, {
          token: f.owner,
          rawBody,
          headers: { "content-type": "application/json" },
        });
        assert.equal(res.status, 400, `${path}: ${res.text.slice(0, 200)}`);
        assert.equal(res.body.error.code, "invalid_request");
        assert.match(res.body.error.message, new RegExp(`deeper than ${MAX_JSON_DEPTH}`));
      }
      // At the limit it is accepted, and the run it makes is stored and listed.
      const ok = await f.call("POST", f.p(`/logic/${logic.id}/run`), f.owner, {
        event: { data: JSON.parse(nested(MAX_JSON_DEPTH - 3)) },
      });
      assert.equal(ok.status, 200, ok.text.slice(0, 300));
      const secrets = await server.request("GET", "/v1/orgs/acme/secrets", { token: f.owner });
      assert.ok(!secrets.text.includes('"DEEP"'), "nothing was stored");
      const entries = await eventually(async () => {
        const list = await f.logs();
        return list.length > 0 ? list : false;
      });
      assert.deepEqual(
        entries.map((e: { consumer: { id: string }; status: string }) => [e.consumer.id, e.status]),
        [[logic.id, "success"]],
      );
    });

    it("the depth scan ignores brackets inside strings and escapes", () => {
      assert.equal(jsonDepth('{"a":"[[[[{{{{\\"[["}'), 1);
      assert.equal(jsonDepth('[[1],[[2]],{"x":[3]}]'), 3);
      assert.equal(jsonDepth(nested(200), 64), 65, "stops counting past the limit");
    });

    it("invalid UTF-8 in a JSON body is refused with 400 and nothing is stored", async () => {
      const body = Buffer.concat([
        Buffer.from('{"name":"BROKEN","type":"token","value":"ab'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('cd"}'),
      ]);
      const res = await fetch(`${server.url}/v1/orgs/acme/secrets`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${f.owner}` },
        body,
      });
      assert.equal(res.status, 400);
      const answer = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(answer.error.code, "invalid_request");
      assert.match(answer.error.message, /UTF-8/);
      const get = await server.request("GET", "/v1/orgs/acme/secrets/BROKEN", { token: f.owner });
      assert.equal(get.status, 404, "the secret was not stored with U+FFFD in it");
    });

    it("an oversized header block gets 431 in the error shape", async () => {
      const res = await fetch(`${server.url}/v1/orgs`, {
        headers: { authorization: `Bearer ${f.owner}`, "x-padding": "p".repeat(17 * 1024) },
      });
      assert.equal(res.status, 431);
      const answer = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(answer.error.code, "invalid_request");
      assert.match(answer.error.message, /headers/);
    });

    it("a malformed request line gets 400 in the error shape", async () => {
      const response = await rawExchange(server.url, "GET /v1/orgs HTTP/9.Z\r\nHost: x\r\n\r\n");
      const { status, body } = errorShapeOf(response);
      assert.equal(status, 400);
      assert.equal(body.error.code, "invalid_request");
    });

    it("page limits take decimal integers in range only", async () => {
      for (const path of ["/v1/orgs/acme/audit", f.p("/logs")]) {
        for (const bad of ["0x10", "1e2", "0b1", "%2016", "16.0", "-1", "0", "9999", "", "Infinity"]) {
          const res = await server.request("GET", `${path}?limit=${bad}`, { token: f.owner });
          assert.equal(res.status, 400, `${path}?limit=${bad}: ${res.text.slice(0, 200)}`);
          assert.equal(res.body.error.code, "invalid_request");
        }
        const ok = await server.request("GET", `${path}?limit=16`, { token: f.owner });
        assert.equal(ok.status, 200, ok.text);
      }
    });

    it("slugs with Cyrillic look-alikes or zero-width characters are refused", async () => {
      for (const slug of ["\u0430cme", "acm\u0435", "ac\u200bme", "acme\u200d", "\ufeffacme", "ａcme"]) {
        const org = await server.request("POST", "/v1/orgs", { token: f.owner, body: { slug, name: "X" } });
        assert.equal(org.status, 400, `org ${JSON.stringify(slug)}`);
        const project = await server.request("POST", "/v1/orgs/acme/projects", {
          token: f.owner,
          body: { slug, name: "X" },
        });
        assert.equal(project.status, 400, `project ${JSON.stringify(slug)}`);
      }
    });
  });
}

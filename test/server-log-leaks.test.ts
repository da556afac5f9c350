/**
 * A value never reaches the server's own logs: a whole secret lifecycle runs with the most verbose log
 * level, and every captured line is searched for every value and the usual encodings of it.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer, type TestServer } from "../src/testing/server.js";

const database = testDatabases()[0]!;

/** Writes raw bytes to the server and returns what it answered before closing. */
function rawRequest(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = "";
    socket.on("data", (c: Buffer) => {
      answer += c.toString();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? resolve(answer) : reject(e)));
    socket.on("close", () => resolve(answer));
  });
}

describe("server logs through a secret lifecycle", () => {
  let server: TestServer;
  const values: [string, ...string[]] = [
    "leak-token-7f3a9c2e",
    "leak-rotated-0b8d41f6",
    "leak-user-5e2c",
    "leak-pass-91ad7e",
    "leak-json-c4f0aa",
    "leak-masked-2b7e99",
  ];
  const forms = (v: string) => [
    v,
    Buffer.from(v).toString("base64"),
    encodeURIComponent(v),
    JSON.stringify(v).slice(1, -1),
  ];

  before(async () => {
    server = await startTestServer(database, { CLOAKROOM_LOG_LEVEL: "trace" });
  });
  after(() => server.close());

  it("a value never appears in the server log, whatever the request did", async () => {
    const { token } = await server.setup();
    const s = "/v1/orgs/acme/secrets";
    const call = (method: string, path: string, body?: unknown) =>
      server.request(method, path, { token, ...(body !== undefined ? { body } : {}) });

    assert.equal((await call("POST", s, { name: "TOKEN", type: "token", value: values[0] })).status, 201);
    assert.equal((await call("PUT", `${s}/TOKEN/value`, { value: values[1] })).status, 200);
    assert.equal(
      (
        await call("POST", s, {
          name: "CREDS",
          type: "username_password",
          value: { username: values[2], password: values[3] },
        })
      ).status,
      201,
    );
    assert.equal(
      (await call("POST", s, { name: "CFG", type: "json", value: { apiKey: values[4] } })).status,
      201,
    );
    assert.equal(
      (await call("POST", s, { name: "MASKED", type: "token", value: values[5], visibility: "masked" }))
        .status,
      201,
    );
    assert.equal((await call("POST", `${s}/MASKED/reveal`)).status, 200);
    // Failures carry values in their bodies too: a duplicate, a bad shape, a stale version, a huge body.
    assert.equal((await call("POST", s, { name: "TOKEN", type: "token", value: values[0] })).status, 409);
    assert.equal((await call("POST", s, { name: "BAD", type: "json", value: values[0] })).status, 400);
    assert.equal(
      (await call("PUT", `${s}/TOKEN/value`, { value: values[0], expectedVersion: 1 })).status,
      409,
    );
    assert.equal(
      (await call("POST", s, { name: "X", type: "token", value: values[0].repeat(70_000) })).status,
      413,
    );
    const raw = await server.request("POST", s, {
      token,
      rawBody: `{"name":"Y","type":"token","value":"${values[0]}"`,
      headers: { "content-type": "application/json" },
    });
    assert.equal(raw.status, 400);
    assert.equal((await call("POST", `${s}/TOKEN/rollback`, { version: 1 })).status, 200);
    assert.equal((await call("POST", `${s}/TOKEN/archive`)).status, 200);
    assert.equal((await call("DELETE", `${s}/CFG`)).status, 204);

    // Requests Node's parser refuses (an oversized header block, a malformed request line) still carry the
    // token and a value in their bytes.
    const oversized = await fetch(`${server.url}${s}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "x-pad": "p".repeat(17_000),
      },
      body: JSON.stringify({ name: "Z", type: "token", value: values[0] }),
    });
    assert.equal(oversized.status, 431);
    const malformed = await rawRequest(
      server.url,
      `POST ${s} HTTP/1.1 junk\r\nAuthorization: Bearer ${token}\r\nContent-Length: 40\r\n\r\n{"value":"${values[0]}"}`,
    );
    assert.match(malformed, /^HTTP\/1.1 400/);

    assert.ok(server.logs.length > 10, "trace logging captured lines");
    // Buffers reach a log line as arrays of byte values: decode those too.
    const decoded = server.logs.map((line) =>
      line.replace(/"data":\[([0-9,]+)\]/g, (_, bytes: string) =>
        Buffer.from(bytes.split(",").map(Number)).toString("latin1"),
      ),
    );
    assert.ok(
      !server.logs.some((line) => line.includes("rawPacket")),
      "a log line carries raw request bytes",
    );
    const text = decoded.join("\n");
    for (const v of values)
      for (const f of forms(v)) assert.ok(!text.includes(f), `the log holds a form of ${v}`);
    assert.ok(!text.includes(token), "the log holds the bearer token");
  });
});

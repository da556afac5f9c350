/** The console's static files: security headers, client routes, and the API's paths left alone. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

describe("the console is served at / with a strict policy", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(testDatabases()[0]!);
  });
  after(() => server.close());

  it("/ answers the page with CSP, no framing and no referrer", async () => {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/, "scripts only from the server itself");
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)/, "no inline script");
    assert.doesNotMatch(html, /https?:\/\//, "nothing from another origin");
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && html.includes(`content="${nonce}"`), "the page carries this response's style nonce");
    const again = await fetch(`${server.url}/`);
    assert.notEqual(again.headers.get("content-security-policy"), csp, "a fresh nonce per page");
  });

  it("the page's script loads from /assets with a JavaScript type", async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    const src = /<script[^>]*src="([^"]+)"/.exec(html)?.[1];
    assert.ok(src?.startsWith("/assets/"), src);
    const js = await fetch(server.url + src);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    assert.equal(js.headers.get("x-frame-options"), "DENY");
  });

  it("client routes load the page; the API's paths keep their JSON answers", async () => {
    const route = await fetch(`${server.url}/orgs/acme/secrets`);
    assert.equal(route.status, 200);
    assert.match(route.headers.get("content-type") ?? "", /text\/html/);
    for (const path of ["/v1/no-such-route", "/v1", "/metrics/extra", "/healthz/x"]) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "not_found", path);
    }
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: "ok" });
    const setup = await fetch(`${server.url}/v1/setup`);
    assert.deepEqual(await setup.json(), { setUp: false });
  });

  it("no path escapes the assets folder", async () => {
    for (const path of [
      "/assets/../../package.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/..%2f..%2fpackage.json",
    ]) {
      const res = await fetch(server.url + path);
      assert.doesNotMatch(await res.text(), /devDependencies/, path);
    }
    assert.equal((await fetch(`${server.url}/assets/nope.js`)).status, 404);
  });
});

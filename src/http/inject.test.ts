/**
 * `fastify.inject` (light-my-request) works on the installed tree: its `cookie` dependency is pinned by an
 * `overrides` entry in package.json to 1.1.1, which supports Node 20 (cookie 2 requires Node 22 and made
 * `npm install` warn EBADENGINE). Cookies are the part of light-my-request that uses it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import Fastify from "fastify";

describe("fastify.inject on Node 20", () => {
  it("an injected request carries its cookies, encoded", async () => {
    const app = Fastify();
    app.get("/echo", async (request) => ({ cookie: request.headers.cookie }));
    const res = await app.inject({ method: "GET", url: "/echo", cookies: { session: "a b;c", other: "x" } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().cookie, "session=a%20b%3Bc; other=x");
    await app.close();
  });

  it("the cookie package light-my-request loads declares support for Node 20", () => {
    const fromLmr = createRequire(createRequire(import.meta.url).resolve("light-my-request"));
    const manifest = JSON.parse(readFileSync(fromLmr.resolve("cookie/package.json"), "utf8")) as {
      engines?: { node?: string };
    };
    const minimum = /^>=\s*(\d+)/.exec(manifest.engines?.node ?? ">=0")?.[1];
    assert.ok(Number(minimum) <= 20, `cookie requires node ${manifest.engines?.node}`);
  });
});

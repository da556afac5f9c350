import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { literalUrlProblem } from "./literal-url.js";

const strict = { allowPrivate: false };

describe("literal part of an integration URL (X2, checked at save)", () => {
  it("refuses what is not an http(s) URL and literal private hosts; leaves templated hosts to run time", () => {
    for (const bad of [
      "not a url",
      "ftp://x.example/",
      "file:///etc/passwd",
      "http://127.0.0.1/",
      "http://[::1]/",
    ]) {
      assert.notEqual(literalUrlProblem(bad, strict), null, bad);
    }
    for (const ok of [
      "https://api.example.com/x",
      "https://{{{HOST}}}/",
      "{{{URL}}}",
      "http://10.0.0.1{{x}}/",
    ]) {
      assert.equal(literalUrlProblem(ok, strict), null, ok);
    }
    assert.equal(literalUrlProblem("http://127.0.0.1/", { allowPrivate: true }), null);
  });

  it("a template whose first tag comes before the host is never refused for its host", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("http://", "https://"),
        fc.string(),
        fc.string(),
        (scheme, before, after) => {
          const t = `${scheme}${before.replace(/[{}/?#\\]/g, "")}{{x}}${after}`;
          const problem = literalUrlProblem(t, strict);
          assert.ok(problem === null || !/points at/.test(problem), `${t}: ${problem}`);
        },
      ),
    );
  });

  it("never throws on any input", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        literalUrlProblem(s, strict);
      }),
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { allowedHostsSchema, hostAllowed, isHostPattern } from "./hosts.js";

describe("allowed hosts (S12)", () => {
  it("accepts host names and a leading *. only", () => {
    for (const ok of ["api.stripe.com", "*.zendesk.com", "localhost", "127.0.0.1", "a-b.example"]) {
      assert.equal(isHostPattern(ok), true, ok);
    }
    for (const bad of [
      "",
      "*",
      "*.",
      "api.*.com",
      "**.x.com",
      "x.*",
      "-a.com",
      "a-.com",
      "a..b",
      "a b",
      "a/b",
      "a:80",
    ]) {
      assert.equal(isHostPattern(bad), false, bad);
    }
    assert.deepEqual(allowedHostsSchema.parse(["API.Stripe.com", "api.stripe.com"]), ["api.stripe.com"]);
  });

  it("a wildcard allows subdomains, never the bare domain nor a look-alike suffix", () => {
    assert.equal(hostAllowed("eu.zendesk.com", ["*.zendesk.com"]), true);
    assert.equal(hostAllowed("a.b.zendesk.com", ["*.zendesk.com"]), true);
    assert.equal(hostAllowed("zendesk.com", ["*.zendesk.com"]), false);
    assert.equal(hostAllowed("evilzendesk.com", ["*.zendesk.com"]), false);
    assert.equal(hostAllowed("API.STRIPE.COM", ["api.stripe.com"]), true);
    assert.equal(hostAllowed("api.stripe.com.evil.com", ["api.stripe.com"]), false);
    assert.equal(hostAllowed("anything.example", []), true);
  });

  it("a host is allowed only by an entry equal to it or a wildcard over one of its parent domains", () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,6}$/);
    const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
    fc.assert(
      fc.property(host, fc.array(fc.tuple(fc.boolean(), host), { maxLength: 4 }), (h, raw) => {
        const entries = raw.map(([wild, e]) => (wild ? `*.${e}` : e));
        const expected =
          entries.length === 0 ||
          entries.some((e) => (e.startsWith("*.") ? h.endsWith(`.${e.slice(2)}`) : e === h));
        assert.equal(hostAllowed(h, entries), expected);
      }),
    );
  });
});

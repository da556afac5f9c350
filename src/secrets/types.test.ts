import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createRedactor } from "../redaction/index.js";
import { sensitiveStrings } from "./types.js";

describe("the strings a secret must never show as", () => {
  it("a token is itself; a JSON secret is each of its string leaves", () => {
    assert.deepEqual(sensitiveStrings("tok-123456"), ["tok-123456"]);
    assert.deepEqual(sensitiveStrings({ a: "alpha-1", b: { c: ["gamma-3", true] } }).sort(), [
      "alpha-1",
      "gamma-3",
    ]);
  });

  it("a number leaf of a JSON secret is redacted as its JSON text; a boolean leaf is not", () => {
    const value = { pin: 482913, account: { id: 7.25e21, short: 42 }, live: true };
    const redactor = createRedactor(sensitiveStrings(value));
    const log = JSON.stringify({ pin: 482913, account: 7.25e21, n: 42, ok: true });
    assert.equal(redactor.redact(log), '{"pin":[[SENSITIVE]],"account":[[SENSITIVE]],"n":42,"ok":true}');
  });

  it("a basic-auth header built from a username_password secret is redacted whole", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9._-]{4,20}$/),
        fc.stringMatching(/^[A-Za-z0-9!#%&*+=?^_~-]{6,30}$/),
        (username, password) => {
          const redactor = createRedactor(sensitiveStrings({ username, password }));
          const header = `Authorization: Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
          assert.equal(redactor.redact(header), "Authorization: Basic [[SENSITIVE]]");
        },
      ),
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  canonicalEncoding,
  entryHash,
  FORMAT_KEYED,
  FORMAT_UNKEYED,
  GENESIS_HASH,
  isSensitiveKey,
  rowFields,
  SYSTEM_CHAIN,
  sanitizeDetails,
  storableText,
  type UnhashedRow,
} from "./chain.js";

const row: UnhashedRow = {
  id: "0190aaaa-0000-7000-8000-000000000001",
  chain: "org-1",
  chain_seq: 1,
  org_id: "org-1",
  at: "2024-05-01T10:00:00.000Z",
  actor_type: "user",
  actor_id: "user-1",
  actor_name: "ann@example.com",
  action: "secret.create",
  target_type: "secret",
  target_id: "secret-1",
  target_name: "API_KEY",
  outcome: "success",
  source_ip: "10.0.0.1",
  details: '{"type":"token"}',
  format: FORMAT_KEYED,
};

const KEY = Buffer.alloc(32, 1);

describe("audit entry hash", () => {
  it("changing any stored field changes the hash", () => {
    const base = entryHash(GENESIS_HASH, row, KEY);
    for (const key of Object.keys(row) as (keyof UnhashedRow)[]) {
      if (key === "format") continue; // chooses the algorithm: see the next tests
      const edited = { ...row, [key]: typeof row[key] === "number" ? 2 : `${row[key]}x` } as UnhashedRow;
      assert.notEqual(entryHash(GENESIS_HASH, edited, KEY), base, key);
      const nulled = { ...row, [key]: null } as unknown as UnhashedRow;
      assert.notEqual(entryHash(GENESIS_HASH, nulled, KEY), base, `${key} -> null`);
    }
    assert.notEqual(entryHash("1".repeat(64), row, KEY), base, "prev hash");
  });

  it("a keyed hash is an HMAC: another key, or none, gives another hash", () => {
    const keyed = entryHash(GENESIS_HASH, row, KEY);
    assert.notEqual(entryHash(GENESIS_HASH, row, Buffer.alloc(32, 2)), keyed);
    assert.notEqual(entryHash(GENESIS_HASH, { ...row, format: FORMAT_UNKEYED }, KEY), keyed);
    assert.throws(() => entryHash(GENESIS_HASH, row, undefined), /needs the audit key/);
  });

  it("new entries are keyed", () => {
    const fields = rowFields(
      { orgId: "org-1", actor: null, action: "auth.login", outcome: "denied" },
      "id-1",
      "2024-05-01T10:00:00.000Z",
    );
    assert.equal(fields.format, FORMAT_KEYED);
  });

  it("moving text between neighbouring fields changes the encoding (no separator ambiguity)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.nat(), fc.nat(), (text, i, j) => {
        const cut1 = i % (text.length + 1);
        const cut2 = j % (text.length + 1);
        fc.pre(cut1 !== cut2);
        const one = canonicalEncoding({
          ...row,
          target_type: text.slice(0, cut1),
          target_id: text.slice(cut1),
        });
        const two = canonicalEncoding({
          ...row,
          target_type: text.slice(0, cut2),
          target_id: text.slice(cut2),
        });
        assert.notEqual(one, two);
      }),
    );
  });

  it("an entry without an organization goes to the system chain", () => {
    const fields = rowFields(
      { orgId: null, actor: null, action: "auth.login", outcome: "failure" },
      "id",
      "at",
    );
    assert.equal(fields.chain, SYSTEM_CHAIN);
    assert.equal(fields.actor_type, "anonymous");
  });
});

describe("details guard", () => {
  it("keys named like a value, password, token or secret are dropped at any depth", () => {
    const clean = sanitizeDetails({
      value: "hunter2hunter2",
      newValue: "hunter2hunter2",
      password: "hunter2hunter2",
      api_token: "hunter2hunter2",
      clientSecret: "hunter2hunter2",
      tokenHash: "abc",
      nested: { Password: "hunter2hunter2", list: [{ secret: "hunter2hunter2", name: "KEEP" }] },
      tokenId: "t-1",
      secretName: "API_KEY",
      secrets: ["A", "B"],
    });
    assert.ok(!JSON.stringify(clean).includes("hunter2"));
    assert.deepEqual(JSON.parse(JSON.stringify(clean)), {
      nested: { list: [{ name: "KEEP" }] },
      tokenId: "t-1",
      secretName: "API_KEY",
      secrets: ["A", "B"],
    });
  });

  it("no sensitive key survives, whatever the shape of details", () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.constantFrom("value", "password", "token", "secret", "Value", "x_password"),
        (json, key) => {
          const details = { wrapper: { [key]: "SENSITIVE-MARK", other: json }, [key]: "SENSITIVE-MARK" };
          const text = JSON.stringify(sanitizeDetails(details));
          assert.ok(!text.includes("SENSITIVE-MARK"));
          for (const k of collectKeys(JSON.parse(text))) assert.ok(!isSensitiveKey(k), k);
        },
      ),
    );
  });

  it("a Cloakroom token written into a detail string is masked", () => {
    const token = `crk_t_${"A".repeat(43)}`;
    const clean = sanitizeDetails({ note: `sent ${token} by mistake` });
    assert.equal(clean.note, "sent [[SENSITIVE]] by mistake");
  });

  it("a __proto__ key neither pollutes prototypes nor disappears silently into one", () => {
    const details = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    const clean = sanitizeDetails(details);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(JSON.parse(JSON.stringify(clean)).ok, 1);
  });

  it("details are bounded in size", () => {
    const clean = sanitizeDetails({ list: Array.from({ length: 1000 }, (_, i) => "x".repeat(400) + i) });
    assert.ok(JSON.stringify(clean).length <= 8 * 1024);
  });
});

describe("storable text", () => {
  it("NUL and lone surrogates become U+FFFD so both databases store exactly what was hashed", () => {
    assert.equal(storableText("a\u0000b"), "a\uFFFDb");
    assert.equal(storableText("a\uD800b"), "a\uFFFDb");
    assert.equal(storableText("a\uDC00"), "a\uFFFD");
    assert.equal(storableText("😀"), "😀");
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const clean = storableText(s, 10_000);
        assert.equal(Buffer.from(clean, "utf8").toString("utf8"), clean);
        assert.ok(!clean.includes("\u0000"));
      }),
    );
  });

  it("a long text is cut without splitting a surrogate pair", () => {
    const text = storableText(`${"a".repeat(499)}😀😀`);
    assert.equal(Buffer.from(text, "utf8").toString("utf8"), text);
  });
});

function collectKeys(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) collectKeys(item, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      collectKeys(v, out);
    }
  }
  return out;
}

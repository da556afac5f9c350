import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  emailSchema,
  isValidName,
  isValidSlug,
  nameSchema,
  normalizeEmail,
  setupBody,
  slugSchema,
} from "./schema.js";

const slugChars = "abcdefghijklmnopqrstuvwxyz0123456789-".split("");
const validSlug = fc
  .tuple(
    fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789".split("")),
    fc.array(fc.constantFrom(...slugChars), { maxLength: 62 }),
  )
  .map(([first, rest]) => first + rest.join(""));

describe("slugs", () => {
  it("every slug of the documented form is accepted", () => {
    fc.assert(fc.property(validSlug, (slug) => isValidSlug(slug) && slugSchema.safeParse(slug).success));
  });

  it("a slug is accepted exactly when it matches ^[a-z0-9][a-z0-9-]{0,62}$, checked character by character", () => {
    const anyChar = fc.oneof(
      fc.constantFrom(...slugChars, "A", "Z", "_", ".", " ", "/", "\n", "é", "\u0000"),
      fc.string({ maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.array(anyChar, { maxLength: 70 }), (chars) => {
        const text = chars.join("");
        const expected =
          text.length >= 1 &&
          text.length <= 63 &&
          text[0] !== "-" &&
          [...text].every((c) => slugChars.includes(c));
        assert.equal(isValidSlug(text), expected, JSON.stringify(text));
      }),
    );
  });

  it("a slug longer than 63 characters, with a leading hyphen or uppercase is refused", () => {
    assert.equal(isValidSlug("a".repeat(63)), true);
    assert.equal(isValidSlug("a".repeat(64)), false);
    assert.equal(isValidSlug("-acme"), false);
    assert.equal(isValidSlug("Acme"), false);
    assert.equal(isValidSlug(""), false);
    assert.equal(isValidSlug("acme\n"), false);
  });
});

describe("emails", () => {
  it("every RFC 5322 dot-atom address is accepted and stored lowercased", () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const normal = normalizeEmail(email);
        assert.equal(normal, email.toLowerCase());
        const parsed = emailSchema.safeParse(email);
        assert.ok(parsed.success);
        assert.equal(parsed.data, email.toLowerCase());
      }),
    );
  });

  it("normalizing is idempotent: a stored address parses back to itself", () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const once = emailSchema.parse(email);
        assert.equal(emailSchema.parse(once), once);
      }),
    );
  });

  it("surrounding spaces are trimmed; inner spaces, control characters and a missing @ are refused", () => {
    assert.equal(emailSchema.parse("  Ann@Example.COM "), "ann@example.com");
    fc.assert(
      fc.property(
        fc.emailAddress(),
        fc.constantFrom(" ", "\t", "\n", "\u0000", "\u007f", "@", "(", ",", "\u202e"),
        fc.nat(),
        (email, bad, at) => {
          const i = 1 + (at % (email.length - 1));
          const broken = email.slice(0, i) + bad + email.slice(i);
          assert.equal(normalizeEmail(broken), null, JSON.stringify(broken));
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes("@")),
        (s) => normalizeEmail(s) === null,
      ),
    );
  });

  it("addresses too long, without a dotted domain or with a numeric top-level domain are refused", () => {
    assert.equal(normalizeEmail(`${"a".repeat(65)}@example.com`), null);
    assert.equal(normalizeEmail(`a@${"b".repeat(250)}.com`), null);
    assert.equal(normalizeEmail("root@localhost"), null);
    assert.equal(normalizeEmail("a@1.2.3.4"), null);
    assert.equal(normalizeEmail("a..b@example.com"), null);
    assert.equal(normalizeEmail(".a@example.com"), null);
    assert.equal(normalizeEmail("a@-example.com"), null);
  });
});

describe("names and passwords", () => {
  it("a name with a control character, a line separator or a bidirectional override is refused", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 50 }).filter(isValidName),
        fc.constantFrom("\u0000", "\n", "\r", "\u001b", "\u007f", "\u0085", "\u2028", "\u202e", "\u2066"),
        (name, bad) => !isValidName(name + bad) && !nameSchema.safeParse(bad + name).success,
      ),
    );
  });

  it("names of 1 to 200 printable characters are accepted, blank and longer ones are not", () => {
    assert.equal(isValidName("Production web hooks (EU) — 2024"), true);
    assert.equal(isValidName("x".repeat(200)), true);
    assert.equal(isValidName("x".repeat(201)), false);
    assert.equal(isValidName(""), false);
    assert.equal(isValidName("   "), false);
  });

  it("a password shorter than 8 or longer than 1024 characters is refused", () => {
    const body = (password: string) => ({ org: "acme", email: "a@example.com", password });
    assert.equal(setupBody.safeParse(body("1234567")).success, false);
    assert.equal(setupBody.safeParse(body("12345678")).success, true);
    assert.equal(setupBody.safeParse(body("x".repeat(1024))).success, true);
    assert.equal(setupBody.safeParse(body("x".repeat(1025))).success, false);
  });

  it("an unknown field in a body is refused", () => {
    assert.equal(
      setupBody.safeParse({ org: "acme", email: "a@example.com", password: "12345678", admin: true }).success,
      false,
    );
  });
});

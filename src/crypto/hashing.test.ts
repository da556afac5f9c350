import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  constantTimeEqual,
  generateToken,
  hashPassword,
  hashToken,
  PASSWORD_SCRYPT,
  type ScryptParams,
  sha256Hex,
  verifyPassword,
} from "./hashing.js";

// Cheap parameters for the many-case tests; one test below runs the production parameters.
const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

describe("password hashing", () => {
  it("verifies the right password and rejects a wrong one (production parameters)", async () => {
    const encoded = await hashPassword("correct horse battery staple");
    assert.match(encoded, new RegExp(`^scrypt\\$${PASSWORD_SCRYPT.N}\\$8\\$${PASSWORD_SCRYPT.p}\\$`));
    assert.equal(await verifyPassword("correct horse battery staple", encoded), true);
    assert.equal(await verifyPassword("correct horse battery stapl", encoded), false);
  });

  it("the stored hash contains neither the password nor a fast hash of it", async () => {
    const password = "s3cret-passw0rd";
    const encoded = await hashPassword(password, FAST);
    assert.ok(!encoded.includes(password));
    assert.ok(!encoded.includes(sha256Hex(password).slice(0, 16)));
  });

  it("the same password hashes differently each time (random salt)", async () => {
    const a = await hashPassword("same", FAST);
    const b = await hashPassword("same", FAST);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword("same", a), true);
    assert.equal(await verifyPassword("same", b), true);
  });

  it("a password is compared after unicode normalization", async () => {
    const encoded = await hashPassword("caf\u00e9", FAST); // precomposed é
    assert.equal(await verifyPassword("cafe\u0301", encoded), true); // e + combining acute
    assert.equal(await verifyPassword("cafe", encoded), false);
  });

  it("a malformed or tampered encoding verifies as false instead of throwing", async () => {
    const good = await hashPassword("pw", FAST);
    const [, N, r, p, salt, hash] = good.split("$");
    const flip = (s: string) => (s.startsWith("A") ? "B" : "A") + s.slice(1);
    const bad: unknown[] = [
      "",
      "scrypt",
      "bcrypt$10$abc",
      good.replace("scrypt$", "argon2$"),
      `scrypt$${N}$${r}$${p}$${salt}`,
      `scrypt$${N}$${r}$${p}$${salt}$${hash}$extra`,
      `scrypt$${N}$${r}$${p}$${salt}$${flip(hash ?? "")}`,
      `scrypt$${N}$${r}$${p}$${flip(salt ?? "")}$${hash}`,
      `scrypt$1000$${r}$${p}$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 30}$${r}$${p}$${salt}$${hash}`, // would need 128 GiB: refused, not attempted
      `scrypt$${N}$${r}$99$${salt}$${hash}`,
      `scrypt$0${N}$${r}$${p}$${salt}$${hash}`,
      `scrypt$${N}$${r}$${p}$$${hash}`,
      `scrypt$${N}$${r}$${p}$${salt}$${hash}=`,
      `scrypt$${N}$${r}$${p}$${salt}$${hash?.slice(0, 10)}`,
      null,
      42,
    ];
    for (const encoded of bad)
      assert.equal(await verifyPassword("pw", encoded as string), false, String(encoded));
    assert.equal(await verifyPassword(undefined as unknown as string, good), false);
  });

  it("parameters stored in a hash are honoured, so raising them later keeps old hashes valid", async () => {
    const older = await hashPassword("pw", { N: 2 ** 11, r: 4, p: 2 });
    assert.equal(await verifyPassword("pw", older), true);
  });

  it("garbage never makes verification throw", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.string(),
        async (pw, enc) => (await verifyPassword(pw, enc)) === false,
      ),
      { numRuns: 200 },
    );
  });
});

describe("tokens", () => {
  it("carry a readable prefix and 256 random bits", () => {
    for (const prefix of ["crk_s", "crk_t"] as const) {
      const token = generateToken(prefix);
      assert.ok(token.startsWith(`${prefix}_`));
      const body = token.slice(prefix.length + 1);
      assert.match(body, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(body, "base64url").length, 32);
    }
  });

  it("are unique", () => {
    const seen = new Set(Array.from({ length: 10_000 }, () => generateToken("crk_t")));
    assert.equal(seen.size, 10_000);
  });

  it("are not all-same-bits: every bit position varies across tokens", () => {
    let ones = Buffer.alloc(32);
    let zeros = Buffer.alloc(32);
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(generateToken("crk_s").slice(6), "base64url");
      ones = Buffer.from(ones.map((b, j) => b | (bytes[j] ?? 0)));
      zeros = Buffer.from(zeros.map((b, j) => b | ~(bytes[j] ?? 0)));
    }
    assert.ok(ones.every((b) => b === 0xff) && zeros.every((b) => b === 0xff));
  });

  it("are stored as a SHA-256 hex digest that does not contain the token", () => {
    const token = generateToken("crk_t");
    const stored = hashToken(token);
    assert.match(stored, /^[0-9a-f]{64}$/);
    assert.equal(stored, hashToken(token));
    assert.notEqual(stored, hashToken(generateToken("crk_t")));
    assert.ok(!stored.includes(token.slice(6, 20)));
  });
});

describe("comparison and digests", () => {
  it("constantTimeEqual is plain string equality, whatever the lengths", () => {
    assert.equal(constantTimeEqual("abc", "abc"), true);
    assert.equal(constantTimeEqual("abc", "abd"), false);
    assert.equal(constantTimeEqual("abc", "abcd"), false);
    assert.equal(constantTimeEqual("", ""), true);
    assert.equal(constantTimeEqual("", "a"), false);
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => constantTimeEqual(a, b) === (a === b)));
  });

  it("sha256Hex matches the known test vector", () => {
    assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AppError } from "../errors.js";
import { CryptoError } from "./errors.js";
import { decryptField, encryptField, type FieldBinding, keyIdOf } from "./field.js";
import { createDataKey, type DataKey, generateRootKey } from "./keys.js";

const root = generateRootKey();
const orgA = createDataKey(root, "org_a").dataKey;
const orgB = createDataKey(root, "org_b").dataKey;
const keys = new Map<string, DataKey>([
  [orgA.keyId, orgA],
  [orgB.keyId, orgB],
]);
const resolve = (keyId: string) => keys.get(keyId);
const binding: FieldBinding = { orgId: "org_a", secretId: "sec_1", version: 1, field: "value" };
const SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";

function decrypts(ciphertext: string, b: FieldBinding = binding): boolean {
  try {
    decryptField(resolve, b, ciphertext);
    return true;
  } catch (err) {
    assert.ok(err instanceof CryptoError, `expected CryptoError, got ${String(err)}`);
    return false;
  }
}

const bytesOf = (c: string) => Buffer.from(c, "base64");
const encode = (b: Buffer) => b.toString("base64");

describe("field encryption (the barrier)", () => {
  it("round-trips a value for the row it was encrypted for", () => {
    assert.equal(decryptField(resolve, binding, encryptField(orgA, binding, SECRET)), SECRET);
  });

  it("confidentiality: a ciphertext contains the value neither as text, base64 nor raw bytes", () => {
    const ciphertext = encryptField(orgA, binding, SECRET);
    assert.ok(!ciphertext.includes(SECRET));
    assert.ok(!ciphertext.includes(Buffer.from(SECRET).toString("base64").slice(0, 12)));
    assert.ok(!bytesOf(ciphertext).includes(Buffer.from(SECRET)));
    // A long repetitive value too: no run of it survives (GCM is a stream cipher, no patterns leak).
    const long = "A".repeat(4096);
    const raw = bytesOf(encryptField(orgA, binding, long));
    assert.ok(!raw.includes(Buffer.from("AAAAAAAA")));
  });

  it("uniqueness: the same value encrypted twice gives different ciphertexts", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(encryptField(orgA, binding, SECRET));
    assert.equal(seen.size, 100);
  });

  it("integrity: flipping any single bit of a ciphertext makes it fail", () => {
    const raw = bytesOf(encryptField(orgA, binding, SECRET));
    for (let i = 0; i < raw.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const mutated = Buffer.from(raw);
        mutated[i] = (mutated[i] ?? 0) ^ (1 << bit);
        assert.equal(decrypts(encode(mutated)), false, `byte ${i} bit ${bit}`);
      }
    }
  });

  it("integrity: replacing any single byte of a ciphertext makes it fail", () => {
    const raw = bytesOf(encryptField(orgA, binding, "v"));
    for (let i = 0; i < raw.length; i++) {
      for (let value = 0; value < 256; value += 17) {
        if (value === raw[i]) continue;
        const mutated = Buffer.from(raw);
        mutated[i] = value;
        assert.equal(decrypts(encode(mutated)), false, `byte ${i} = ${value}`);
      }
    }
  });

  it("integrity: changing any character of the encoded string makes it fail", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ ";
    // Three lengths, so the encoding ends with no, one and two padding characters (unused low bits).
    for (const value of [SECRET, SECRET.slice(1), SECRET.slice(2)]) {
      const ciphertext = encryptField(orgA, binding, value);
      for (let i = 0; i < ciphertext.length; i++) {
        for (const ch of alphabet) {
          if (ch === ciphertext[i]) continue;
          const mutated = ciphertext.slice(0, i) + ch + ciphertext.slice(i + 1);
          assert.equal(decrypts(mutated), false, `position ${i} = ${ch}`);
        }
      }
    }
  });

  it("integrity: a truncated or extended ciphertext fails", () => {
    const raw = bytesOf(encryptField(orgA, binding, SECRET));
    for (let length = 0; length < raw.length; length++) {
      assert.equal(decrypts(encode(raw.subarray(0, length))), false, `first ${length} bytes`);
      assert.equal(decrypts(encode(raw.subarray(raw.length - length))), false, `last ${length} bytes`);
    }
    assert.equal(decrypts(encode(Buffer.concat([raw, Buffer.of(0)]))), false);
    assert.equal(decrypts(""), false);
  });

  it("move integrity: a ciphertext moved to another secret, version, field or organization fails", () => {
    const ciphertext = encryptField(orgA, binding, SECRET);
    assert.equal(decrypts(ciphertext, { ...binding, secretId: "sec_2" }), false);
    assert.equal(decrypts(ciphertext, { ...binding, version: 2 }), false);
    assert.equal(decrypts(ciphertext, { ...binding, version: 0 }), false);
    assert.equal(decrypts(ciphertext, { ...binding, field: "other" }), false);
    assert.equal(decrypts(ciphertext, { ...binding, orgId: "org_b" }), false);
    // Even when the other organization's resolver hands out its own key for the id in the header.
    const asOrgB = (id: string) => (id === orgA.keyId ? { ...orgB, keyId: id } : undefined);
    assert.throws(() => decryptField(asOrgB, { ...binding, orgId: "org_b" }, ciphertext), CryptoError);
    // The binding itself is decoded without ambiguity: shifting a character between fields changes it.
    const b1 = { orgId: "org_a", secretId: "a|b", version: 1, field: "c" };
    const b2 = { orgId: "org_a", secretId: "a", version: 1, field: "b|c" };
    assert.equal(decrypts(encryptField(orgA, b1, SECRET), b2), false);
    const b3 = { orgId: "org_a", secretId: "sec_1", version: 11, field: "value" };
    const b4 = { orgId: "org_a", secretId: "sec_11", version: 1, field: "value" };
    assert.equal(decrypts(encryptField(orgA, b3, SECRET), b4), false);
  });

  it("a ciphertext names the data key that made it, readable without decrypting", () => {
    const ciphertext = encryptField(orgA, binding, SECRET);
    assert.equal(keyIdOf(ciphertext), orgA.keyId);
    assert.throws(() => keyIdOf("not a ciphertext"), CryptoError);
  });

  it("a ciphertext whose key id is unknown fails with a CryptoError naming the id", () => {
    const ciphertext = encryptField(orgA, binding, SECRET);
    assert.throws(() => decryptField(() => undefined, binding, ciphertext), {
      name: "CryptoError",
      message: `unknown key id ${orgA.keyId}`,
    });
  });

  it("a data key of another organization cannot encrypt this organization's field", () => {
    assert.throws(() => encryptField(orgB, binding, SECRET), CryptoError);
  });

  it("a wrong key with the right id fails authentication", () => {
    const ciphertext = encryptField(orgA, binding, SECRET);
    const impostor = { ...orgA, key: Buffer.alloc(32, 7) };
    assert.throws(() => decryptField(() => impostor, binding, ciphertext), {
      name: "CryptoError",
      message: "ciphertext failed authentication",
    });
  });

  it("failure messages never contain the value", () => {
    const ciphertext = encryptField(orgA, binding, SECRET);
    const attempts: Array<() => unknown> = [
      () => decryptField(resolve, { ...binding, version: 9 }, ciphertext),
      () => decryptField(() => undefined, binding, ciphertext),
      () => decryptField(resolve, binding, ciphertext.slice(0, 20)),
      () => encryptField(orgB, binding, SECRET),
    ];
    for (const attempt of attempts) {
      assert.throws(
        attempt,
        (err: Error) => !err.message.includes(SECRET) && !String(err.stack).includes(SECRET),
      );
    }
  });

  it("a value with an unpaired surrogate is refused as bad input instead of being silently altered", () => {
    assert.throws(
      () => encryptField(orgA, binding, "abc\ud800def"),
      (err: unknown) => {
        return err instanceof AppError && err.code === "invalid_request" && !err.message.includes("abc");
      },
    );
    const paired = "key-\u{1F511}-\u{10FFFF}";
    assert.equal(decryptField(resolve, binding, encryptField(orgA, binding, paired)), paired);
  });

  it("a malformed binding is refused", () => {
    assert.throws(() => encryptField(orgA, { ...binding, version: 1.5 }, SECRET), CryptoError);
    assert.throws(() => encryptField(orgA, { ...binding, version: -1 }, SECRET), CryptoError);
    assert.throws(() => encryptField(orgA, { ...binding, secretId: "" }, SECRET), CryptoError);
    assert.throws(() => encryptField(orgA, { ...binding, field: "" }, SECRET), CryptoError);
  });
});

describe("field encryption properties", () => {
  // 64 KiB of UTF-8 (SPEC S2's limit), in one-, two-, three- and four-byte characters.
  const big = "aé€\u{1F600}".repeat(65536 / 10);

  it("round-trips any unicode string, including the empty one and 64 KiB", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.nat(1000), (value, version) => {
        const b = { ...binding, version };
        assert.equal(decryptField(resolve, b, encryptField(orgA, b, value)), value);
      }),
      {
        numRuns: 300,
        examples: [
          ["", 1],
          [big, 1],
        ],
      },
    );
  });

  it("any single-byte mutation of any ciphertext fails", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (value, position, xor) => {
          const raw = bytesOf(encryptField(orgA, binding, value));
          const i = position % raw.length;
          raw[i] = (raw[i] ?? 0) ^ xor;
          assert.equal(decrypts(encode(raw)), false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("ciphertexts never repeat and never carry the plaintext bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 8, maxLength: 200 }), (value) => {
        const one = encryptField(orgA, binding, value);
        const two = encryptField(orgA, binding, value);
        assert.notEqual(one, two);
        assert.ok(!bytesOf(one).includes(Buffer.from(value, "utf8")));
      }),
      { numRuns: 200 },
    );
  });
});

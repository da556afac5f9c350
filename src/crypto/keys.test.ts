import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AppError } from "../errors.js";
import { encodeAad } from "./aead.js";
import { CryptoError } from "./errors.js";
import { decryptField, encryptField } from "./field.js";
import {
  createDataKey,
  encodeRootKey,
  generateRootKey,
  keyCheckRootKeyId,
  makeKeyCheck,
  parseRootKey,
  rewrapDataKey,
  unwrapDataKey,
  verifyKeyCheck,
} from "./keys.js";

describe("root key", () => {
  it("survives encoding and parsing with the same id", () => {
    const key = generateRootKey();
    const parsed = parseRootKey(encodeRootKey(key), "test");
    assert.deepEqual(parsed.key, key.key);
    assert.equal(parsed.id, key.id);
    assert.match(key.id, /^[0-9a-f]{16}$/);
  });

  it("has an id that depends on the key and reveals none of it", () => {
    const a = generateRootKey();
    const b = generateRootKey();
    assert.notEqual(a.id, b.id);
    assert.ok(!a.key.toString("hex").includes(a.id));
  });

  it("accepts URL-safe base64, missing padding and a trailing newline", () => {
    const key = generateRootKey();
    const standard = encodeRootKey(key);
    for (const text of [
      standard.replace(/\+/g, "-").replace(/\//g, "_"),
      standard.replace(/=+$/, ""),
      `${standard}\n`,
    ]) {
      assert.equal(parseRootKey(text, "test").id, key.id);
    }
  });

  it("a malformed key is refused with a message naming its source and never echoing it", () => {
    const short = Buffer.alloc(16, 1).toString("base64");
    const long = Buffer.alloc(33, 1).toString("base64");
    const valid = encodeRootKey(generateRootKey());
    const nonCanonical = `${valid.slice(0, 42)}B=`; // last character's unused bits set
    for (const bad of [
      "",
      "   ",
      short,
      long,
      "hunter2 hunter2 hunter2!",
      `${valid.slice(0, 40)}%%%=`,
      nonCanonical,
    ]) {
      assert.throws(
        () => parseRootKey(bad, "CLOAKROOM_ROOT_KEY"),
        (err: unknown) =>
          err instanceof AppError &&
          err.code === "invalid_request" &&
          err.message.startsWith("CLOAKROOM_ROOT_KEY ") &&
          (bad.trim() === "" || !err.message.includes(bad.trim().slice(0, 8))),
        JSON.stringify(bad),
      );
    }
  });
});

describe("key-check value", () => {
  it("verifies for the key that made it", () => {
    const key = generateRootKey();
    assert.equal(verifyKeyCheck(key, makeKeyCheck(key)), true);
    assert.equal(verifyKeyCheck(parseRootKey(encodeRootKey(key), "x"), makeKeyCheck(key)), true);
    assert.equal(keyCheckRootKeyId(makeKeyCheck(key)), key.id);
  });

  it("rejects a different root key", () => {
    assert.equal(verifyKeyCheck(generateRootKey(), makeKeyCheck(generateRootKey())), false);
  });

  it("rejects a different key even when the recorded id is forged to match", () => {
    const right = generateRootKey();
    const wrong = generateRootKey();
    const forged = makeKeyCheck(right).replace(right.id, wrong.id);
    assert.equal(verifyKeyCheck(wrong, forged), false);
  });

  it("never throws on garbage", () => {
    const key = generateRootKey();
    const kcv = makeKeyCheck(key);
    const garbage: unknown[] = [
      "",
      "kcv1",
      "kcv1..",
      `kcv1.${key.id}.`,
      `kcv1.${key.id}.!!!!`,
      kcv.slice(0, -4),
    ];
    garbage.push(null, undefined, 42, {}, `${kcv}.extra`);
    for (const g of garbage) assert.equal(verifyKeyCheck(key, g as string), false, String(g));
    fc.assert(fc.property(fc.string(), (s) => verifyKeyCheck(key, s) === false));
    assert.equal(keyCheckRootKeyId("garbage"), undefined);
  });
});

describe("data keys", () => {
  const binding = { orgId: "org_a", secretId: "sec_1", version: 1, field: "value" };

  it("unwrap gives back the data key that was created", () => {
    const root = generateRootKey();
    const { dataKey, wrapped } = createDataKey(root, "org_a");
    assert.equal(wrapped.rootKeyId, root.id);
    assert.equal(wrapped.orgId, "org_a");
    assert.equal(wrapped.keyId, dataKey.keyId);
    assert.ok(!Buffer.from(wrapped.wrapped, "base64").includes(dataKey.key));
    assert.deepEqual(unwrapDataKey(root, wrapped), dataKey);
  });

  it("every data key is new", () => {
    const root = generateRootKey();
    const a = createDataKey(root, "org_a").dataKey;
    const b = createDataKey(root, "org_a").dataKey;
    assert.notEqual(a.keyId, b.keyId);
    assert.notDeepEqual(a.key, b.key);
  });

  it("a wrong root key fails unwrapping, even with the recorded root id changed to match", () => {
    const root = generateRootKey();
    const wrong = generateRootKey();
    const { wrapped } = createDataKey(root, "org_a");
    assert.throws(() => unwrapDataKey(wrong, wrapped), CryptoError);
    assert.throws(() => unwrapDataKey(wrong, { ...wrapped, rootKeyId: wrong.id }), {
      name: "CryptoError",
      message: `data key ${wrapped.keyId} failed authentication`,
    });
  });

  it("a wrapped key moved to another organization or key id fails unwrapping", () => {
    const root = generateRootKey();
    const { wrapped } = createDataKey(root, "org_a");
    const other = createDataKey(root, "org_b").wrapped;
    assert.throws(() => unwrapDataKey(root, { ...wrapped, orgId: "org_b" }), CryptoError);
    assert.throws(() => unwrapDataKey(root, { ...wrapped, keyId: other.keyId }), CryptoError);
    assert.throws(() => unwrapDataKey(root, { ...other, wrapped: wrapped.wrapped }), CryptoError);
  });

  it("any single-bit flip of a wrapped key fails unwrapping", () => {
    const root = generateRootKey();
    const { wrapped } = createDataKey(root, "org_a");
    const raw = Buffer.from(wrapped.wrapped, "base64");
    for (let i = 0; i < raw.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const mutated = Buffer.from(raw);
        mutated[i] = (mutated[i] ?? 0) ^ (1 << bit);
        assert.throws(
          () => unwrapDataKey(root, { ...wrapped, wrapped: mutated.toString("base64") }),
          CryptoError,
        );
      }
    }
  });

  it("rewrap keeps data decryptable under the new root and not under the old", () => {
    const oldRoot = generateRootKey();
    const newRoot = generateRootKey();
    const { dataKey, wrapped } = createDataKey(oldRoot, "org_a");
    const ciphertext = encryptField(dataKey, binding, "the value");

    const rewrapped = rewrapDataKey(oldRoot, newRoot, wrapped);
    assert.equal(rewrapped.rootKeyId, newRoot.id);
    assert.equal(rewrapped.keyId, wrapped.keyId);
    assert.equal(rewrapped.orgId, wrapped.orgId);
    const underNew = unwrapDataKey(newRoot, rewrapped);
    assert.equal(
      decryptField(() => underNew, binding, ciphertext),
      "the value",
    );
    assert.throws(() => unwrapDataKey(oldRoot, rewrapped), CryptoError);
    assert.throws(() => unwrapDataKey(oldRoot, { ...rewrapped, rootKeyId: oldRoot.id }), CryptoError);
  });

  it("rewrapping a key already under the new root leaves it as it is, so rotation can resume", () => {
    const oldRoot = generateRootKey();
    const newRoot = generateRootKey();
    const once = rewrapDataKey(oldRoot, newRoot, createDataKey(oldRoot, "org_a").wrapped);
    assert.deepEqual(rewrapDataKey(oldRoot, newRoot, once), once);
    const stranger = createDataKey(generateRootKey(), "org_a").wrapped;
    assert.throws(() => rewrapDataKey(oldRoot, newRoot, stranger), CryptoError);
  });
});

describe("AAD encoding", () => {
  it("is unambiguous: different field lists never encode to the same bytes", () => {
    assert.notDeepEqual(encodeAad(["a|b", "c"]), encodeAad(["a", "b|c"]));
    assert.notDeepEqual(encodeAad(["ab", ""]), encodeAad(["a", "b"]));
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 5 }),
        fc.array(fc.string(), { maxLength: 5 }),
        (x, y) => {
          fc.pre(JSON.stringify(x) !== JSON.stringify(y));
          assert.notDeepEqual(encodeAad(x), encodeAad(y));
        },
      ),
    );
  });
});

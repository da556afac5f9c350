import { randomBytes, timingSafeEqual } from "node:crypto";
import { AppError } from "../errors.js";
import { decodeBase64Strict, deriveKey, encodeAad, KEY_BYTES, open, seal } from "./aead.js";
import { CryptoError } from "./errors.js";

/** 32-byte root key plus a stable id derived from it, safe to store and log. */
export interface RootKey {
  id: string;
  key: Buffer;
}

/** An organization's data key in the clear; lives only in memory. */
export interface DataKey {
  keyId: string;
  orgId: string;
  key: Buffer;
}

/** A data key as stored: wrapped by the root key named by `rootKeyId`, bound to `keyId` and `orgId`. */
export interface WrappedDataKey {
  keyId: string;
  orgId: string;
  wrapped: string;
  rootKeyId: string;
}

// Key ids go into every field ciphertext's header (one length byte), so they stay short and ASCII.
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const WRAP_FORMAT = 1;
const WRAP_KEY_INFO = "cloakroom:wrap:v1";
const KCV_KEY_INFO = "cloakroom:kcv:v1";
const KCV_PREFIX = "kcv1";
const KCV_PLAINTEXT = Buffer.from("cloakroom root key check", "utf8");
const GENERATE_HINT = "generate one with: openssl rand -base64 32";

function rootKeyFrom(key: Buffer): RootKey {
  return { id: deriveKey(key, "cloakroom key id", 8).toString("hex"), key };
}

/**
 * Accepts standard or URL-safe base64, padding optional, surrounding whitespace ignored (key files end in a
 * newline). Messages name `source` and never echo the value: a near-miss key is still mostly a key.
 */
export function parseRootKey(base64: string, source: string): RootKey {
  const text = typeof base64 === "string" ? base64.trim() : "";
  const fail = (why: string): never => {
    throw new AppError(
      "invalid_request",
      `${source} ${why}; it must be the base64 of 32 random bytes (${GENERATE_HINT})`,
      { source },
    );
  };
  if (text === "") fail("is empty");
  const standard = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]+$/.test(standard) || text.length - text.replace(/=+$/, "").length > 2) {
    fail("is not base64");
  }
  const bytes = Buffer.from(standard, "base64");
  if (bytes.length !== KEY_BYTES) fail(`decodes to ${bytes.length} bytes, not 32`);
  if (bytes.toString("base64").replace(/=+$/, "") !== standard) fail("is not canonical base64");
  return rootKeyFrom(bytes);
}

export function generateRootKey(): RootKey {
  return rootKeyFrom(randomBytes(KEY_BYTES));
}

export function encodeRootKey(k: RootKey): string {
  return k.key.toString("base64");
}

/**
 * A key-check value, stored beside the data, so start-up can tell a wrong root key from a right one before
 * it touches a row. Format: `kcv1.<root key id>.<base64 of nonce || ciphertext || tag>`.
 */
export function makeKeyCheck(root: RootKey): string {
  const sealed = seal(deriveKey(root.key, KCV_KEY_INFO), kcvAad(root.id), KCV_PLAINTEXT);
  return `${KCV_PREFIX}.${root.id}.${sealed.toString("base64")}`;
}

export function verifyKeyCheck(root: RootKey, kcv: string): boolean {
  try {
    const parts = typeof kcv === "string" ? kcv.split(".") : [];
    if (parts.length !== 3 || parts[0] !== KCV_PREFIX || parts[1] !== root.id) return false;
    const sealed = decodeBase64Strict(parts[2] ?? "");
    if (sealed === undefined) return false;
    const plain = open(deriveKey(root.key, KCV_KEY_INFO), kcvAad(root.id), sealed);
    return plain.length === KCV_PLAINTEXT.length && timingSafeEqual(plain, KCV_PLAINTEXT);
  } catch {
    return false;
  }
}

/** The id of the root key a key-check value was made with, for a start-up message; undefined if garbage. */
export function keyCheckRootKeyId(kcv: string): string | undefined {
  const parts = typeof kcv === "string" ? kcv.split(".") : [];
  return parts.length === 3 && parts[0] === KCV_PREFIX && /^[0-9a-f]{16}$/.test(parts[1] ?? "")
    ? parts[1]
    : undefined;
}

function kcvAad(rootKeyId: string): Buffer {
  return encodeAad(["cloakroom:kcv", rootKeyId]);
}

export function createDataKey(root: RootKey, orgId: string): { dataKey: DataKey; wrapped: WrappedDataKey } {
  requireNonEmpty("orgId", orgId);
  const dataKey: DataKey = {
    keyId: `dk_${randomBytes(12).toString("base64url")}`,
    orgId,
    key: randomBytes(KEY_BYTES),
  };
  return { dataKey, wrapped: wrap(root, dataKey) };
}

/** The AAD names the root key, key id and organization: a wrapped key copied onto another row fails. */
export function unwrapDataKey(root: RootKey, w: WrappedDataKey): DataKey {
  if (typeof w?.keyId !== "string" || !KEY_ID_PATTERN.test(w.keyId)) {
    throw new CryptoError("invalid data key id");
  }
  requireNonEmpty("orgId", w.orgId);
  if (w.rootKeyId !== root.id) {
    throw new CryptoError(
      `data key ${w.keyId} is wrapped by root key ${String(w.rootKeyId)}, not by the given root key ${root.id}`,
    );
  }
  const bytes = decodeBase64Strict(w.wrapped);
  if (bytes === undefined || bytes[0] !== WRAP_FORMAT) {
    throw new CryptoError(`data key ${w.keyId} is not in a known wrapped format`);
  }
  let key: Buffer;
  try {
    key = open(deriveKey(root.key, WRAP_KEY_INFO), wrapAad(root.id, w.keyId, w.orgId), bytes.subarray(1));
  } catch {
    throw new CryptoError(`data key ${w.keyId} failed authentication`);
  }
  if (key.length !== KEY_BYTES) throw new CryptoError(`data key ${w.keyId} has the wrong length`);
  return { keyId: w.keyId, orgId: w.orgId, key };
}

/**
 * For `keys rotate`. A key already wrapped by `newRoot` is checked and returned unchanged, so an interrupted
 * rotation can simply be run again.
 */
export function rewrapDataKey(oldRoot: RootKey, newRoot: RootKey, w: WrappedDataKey): WrappedDataKey {
  if (w.rootKeyId === newRoot.id && w.rootKeyId !== oldRoot.id) {
    unwrapDataKey(newRoot, w).key.fill(0);
    return { ...w };
  }
  const dataKey = unwrapDataKey(oldRoot, w);
  try {
    return wrap(newRoot, dataKey);
  } finally {
    dataKey.key.fill(0);
  }
}

function wrap(root: RootKey, dk: DataKey): WrappedDataKey {
  const sealed = seal(deriveKey(root.key, WRAP_KEY_INFO), wrapAad(root.id, dk.keyId, dk.orgId), dk.key);
  return {
    keyId: dk.keyId,
    orgId: dk.orgId,
    wrapped: Buffer.concat([Buffer.of(WRAP_FORMAT), sealed]).toString("base64"),
    rootKeyId: root.id,
  };
}

function wrapAad(rootKeyId: string, keyId: string, orgId: string): Buffer {
  return encodeAad(["cloakroom:data-key", Buffer.of(WRAP_FORMAT), rootKeyId, keyId, orgId]);
}

export function requireNonEmpty(name: string, value: unknown): asserts value is string {
  if (typeof value !== "string" || value === "") throw new CryptoError(`${name} must be a non-empty string`);
}

import { AppError } from "../errors.js";
import { decodeBase64Strict, encodeAad, KEY_BYTES, NONCE_BYTES, open, seal, TAG_BYTES } from "./aead.js";
import { CryptoError } from "./errors.js";
import { type DataKey, KEY_ID_PATTERN, requireNonEmpty } from "./keys.js";

/** The row a field ciphertext belongs to; all four go into the AAD, so a moved ciphertext fails. */
export interface FieldBinding {
  orgId: string;
  secretId: string;
  version: number;
  field: string;
}

// Layout, base64 as a whole: format (1 byte) | key id length (1) | key id (ASCII) | nonce (12) | ciphertext |
// tag (16). The header is authenticated too (it is part of the AAD), so no header byte can be changed.
const FIELD_FORMAT = 1;

export function encryptField(dk: DataKey, binding: FieldBinding, plaintext: string): string {
  checkBinding(binding);
  checkDataKey(dk);
  if (dk.orgId !== binding.orgId) {
    throw new CryptoError(`data key ${dk.keyId} belongs to another organization`);
  }
  if (typeof plaintext !== "string") throw new CryptoError("plaintext must be a string");
  // UTF-8 cannot carry a lone surrogate (JSON.parse of "\ud800" makes one); storing U+FFFD instead would
  // silently change the value, so it is refused as bad input.
  if (/\p{Surrogate}/u.test(plaintext)) {
    throw new AppError("invalid_request", `${binding.field} contains an unpaired UTF-16 surrogate`, {
      field: binding.field,
    });
  }
  const header = encodeHeader(dk.keyId);
  const sealed = seal(dk.key, fieldAad(header, binding), Buffer.from(plaintext, "utf8"));
  return Buffer.concat([header, sealed]).toString("base64");
}

/**
 * `resolveKey` maps the key id from the header to the organization's data key (typically a cache of
 * unwrapped keys); returning undefined means "unknown key id". Errors it throws pass through unchanged.
 */
export function decryptField(
  resolveKey: (keyId: string) => DataKey | undefined,
  binding: FieldBinding,
  ciphertext: string,
): string {
  checkBinding(binding);
  const { header, keyId, sealed } = parse(ciphertext);
  const dk = resolveKey(keyId);
  if (dk === undefined || dk === null) throw new CryptoError(`unknown key id ${keyId}`);
  checkDataKey(dk);
  if (dk.keyId !== keyId) throw new CryptoError(`key resolver returned key ${dk.keyId} for key id ${keyId}`);
  if (dk.orgId !== binding.orgId) throw new CryptoError(`data key ${keyId} belongs to another organization`);
  return open(dk.key, fieldAad(header, binding), sealed).toString("utf8");
}

/** The id of the data key a ciphertext was made with, read from its header without decrypting. */
export function keyIdOf(ciphertext: string): string {
  return parse(ciphertext).keyId;
}

function encodeHeader(keyId: string): Buffer {
  return Buffer.concat([Buffer.of(FIELD_FORMAT, keyId.length), Buffer.from(keyId, "latin1")]);
}

function parse(ciphertext: string): { header: Buffer; keyId: string; sealed: Buffer } {
  const bytes = decodeBase64Strict(ciphertext);
  if (bytes === undefined || bytes.length < 2) throw new CryptoError("ciphertext is not valid base64");
  if (bytes[0] !== FIELD_FORMAT) throw new CryptoError(`unsupported ciphertext format ${bytes[0]}`);
  const idLength = bytes[1] ?? 0;
  const headerLength = 2 + idLength;
  if (bytes.length < headerLength + NONCE_BYTES + TAG_BYTES) throw new CryptoError("ciphertext is truncated");
  const keyId = bytes.toString("latin1", 2, headerLength);
  if (!KEY_ID_PATTERN.test(keyId)) throw new CryptoError("ciphertext header has an invalid key id");
  return { header: bytes.subarray(0, headerLength), keyId, sealed: bytes.subarray(headerLength) };
}

function fieldAad(header: Buffer, b: FieldBinding): Buffer {
  return encodeAad(["cloakroom:field", header, b.orgId, b.secretId, String(b.version), b.field]);
}

function checkBinding(b: FieldBinding): void {
  requireNonEmpty("binding.orgId", b?.orgId);
  requireNonEmpty("binding.secretId", b.secretId);
  requireNonEmpty("binding.field", b.field);
  if (!Number.isSafeInteger(b.version) || b.version < 0) {
    throw new CryptoError("binding.version must be a non-negative integer");
  }
}

function checkDataKey(dk: DataKey): void {
  if (typeof dk?.keyId !== "string" || !KEY_ID_PATTERN.test(dk.keyId)) {
    throw new CryptoError("invalid data key id");
  }
  requireNonEmpty("data key orgId", dk.orgId);
  if (!Buffer.isBuffer(dk.key) || dk.key.length !== KEY_BYTES) {
    throw new CryptoError(`data key ${dk.keyId} is not ${KEY_BYTES} bytes`);
  }
}

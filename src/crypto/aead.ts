import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { CryptoError } from "./errors.js";

// The one AEAD of the barrier: AES-256-GCM with a random 96-bit nonce and a full 128-bit tag.
// Nonce budget: a random 96-bit nonce collides with probability about n^2 / 2^97 after n encryptions under
// one key, so NIST SP 800-38D caps random-nonce use at 2^32 encryptions per key. A data key encrypts one
// field per secret version, so an organization stays many orders of magnitude below that; `keys rotate`
// also gives every organization a fresh data key, which resets the count.

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
const ALGORITHM = "aes-256-gcm";

/**
 * Additional authenticated data as a sequence of length-prefixed fields (4-byte big-endian byte length, then
 * the bytes), so that no two different field lists encode to the same bytes: ("a|b", "c") != ("a", "b|c").
 */
export function encodeAad(parts: readonly (string | Uint8Array)[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(part);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    chunks.push(length, bytes);
  }
  return Buffer.concat(chunks);
}

/** Returns nonce || ciphertext || tag. */
export function seal(key: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Opens nonce || ciphertext || tag; any mismatch of key, AAD or bytes gives the same CryptoError. */
export function open(key: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new CryptoError("ciphertext failed authentication");
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  try {
    // authTagLength pins the tag size: without it Node would accept a truncated tag.
    const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new CryptoError("ciphertext failed authentication");
  }
}

/** Subkeys per purpose, so the root key itself never meets AES and one purpose cannot answer for another. */
export function deriveKey(secret: Buffer, info: string, length: number = KEY_BYTES): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), info, length));
}

/**
 * Standard base64 with padding, and only its canonical form: Node's decoder skips stray characters and
 * ignores the unused low bits of the character before the padding, which would let an edited string still
 * decrypt. Re-encoding and comparing rules out both, and is faster than a pattern over a 64 KiB value.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (typeof text !== "string") return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

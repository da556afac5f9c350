/**
 * A failure of the barrier: a ciphertext that does not authenticate, an unknown key id, a wrapped key that
 * belongs to another root or organization. Messages name ids and formats only, never key material or
 * plaintext, so the caller may log them as they are.
 */
export class CryptoError extends Error {
  override readonly name = "CryptoError";
}

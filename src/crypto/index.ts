// Cloakroom's barrier (SPEC S10): root key, wrapped per-organization data keys, field AEAD bound to its row,
// and the hashing of passwords and tokens. See docs/decisions/0104-envelope-encryption.md.
export { CryptoError } from "./errors.js";
export { decryptField, encryptField, type FieldBinding, keyIdOf } from "./field.js";
export {
  constantTimeEqual,
  generateToken,
  hashPassword,
  hashToken,
  hmacSha256Hex,
  PASSWORD_SCRYPT,
  type ScryptParams,
  sha256Hex,
  verifyPassword,
} from "./hashing.js";
export {
  type LoadedRootKey,
  loadRootKey,
  ROOT_KEY_ENV,
  ROOT_KEY_FILE,
  syncDirectory,
  writeNew as writeNewKeyFile,
} from "./keyfile.js";
export {
  createDataKey,
  type DataKey,
  encodeRootKey,
  generateRootKey,
  keyCheckRootKeyId,
  makeKeyCheck,
  parseRootKey,
  type RootKey,
  rewrapDataKey,
  unwrapDataKey,
  verifyKeyCheck,
  type WrappedDataKey,
} from "./keys.js";

import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP's scrypt floor is N=2^17, r=8, p=1 (128 MiB per hash) or an equal-cost variant; N=2^15, r=8, p=3
 * is the variant with 32 MiB per hash, which keeps a burst of sign-ins on a small server affordable.
 * The parameters are stored in each hash, so raising them later needs no migration. See decision 0104.
 */
export const PASSWORD_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
// Bounds for parameters read back from storage, so a corrupted row cannot make one sign-in eat the host.
const MAX_MEMORY = 128 * 1024 * 1024;
const MAX_P = 16;

function checkParams({ N, r, p }: ScryptParams): boolean {
  return (
    Number.isSafeInteger(N) &&
    Number.isSafeInteger(r) &&
    Number.isSafeInteger(p) &&
    N >= 2 &&
    (N & (N - 1)) === 0 &&
    r >= 1 &&
    p >= 1 &&
    p <= MAX_P &&
    128 * N * r <= MAX_MEMORY
  );
}

function derive(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  // NFKC, as NIST SP 800-63B suggests: the same password typed on two keyboards may differ in code points.
  const input = Buffer.from(password.normalize("NFKC"), "utf8");
  return new Promise((resolve, reject) => {
    scrypt(input, salt, length, { ...params, maxmem: 2 * MAX_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/**
 * Encoded as `scrypt$N$r$p$salt$hash` (salt and hash base64url). `params` exists for tests that need cheap
 * hashes; production callers leave it out.
 */
export async function hashPassword(
  password: string,
  params: ScryptParams = PASSWORD_SCRYPT,
): Promise<string> {
  if (typeof password !== "string") throw new TypeError("password must be a string");
  if (!checkParams(params)) throw new RangeError("scrypt parameters out of range");
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, params);
  const { N, r, p } = params;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  try {
    if (typeof password !== "string" || typeof encoded !== "string") return false;
    const parts = encoded.split("$");
    if (parts.length !== 6 || parts[0] !== "scrypt") return false;
    const [N, r, p] = parts.slice(1, 4).map((x) => (/^[1-9][0-9]{0,9}$/.test(x) ? Number(x) : Number.NaN));
    const params = { N: N ?? Number.NaN, r: r ?? Number.NaN, p: p ?? Number.NaN };
    if (!checkParams(params)) return false;
    const salt = decodeBase64Url(parts[4] ?? "");
    const expected = decodeBase64Url(parts[5] ?? "");
    if (salt === undefined || salt.length < 8 || expected === undefined) return false;
    if (expected.length < 16 || expected.length > 64) return false;
    const actual = await derive(password, salt, expected.length, params);
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

function decodeBase64Url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}

const TOKEN_PREFIXES = new Set(["crk_s", "crk_t"]);

/** 256 random bits, base64url, behind a fixed prefix so a leaked token is easy to grep and to scan for. */
export function generateToken(prefix: "crk_s" | "crk_t"): string {
  if (!TOKEN_PREFIXES.has(prefix)) throw new RangeError("unknown token prefix");
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

/** Tokens carry 256 random bits, so a fast unsalted hash is enough: there is nothing to guess. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** Hashing both sides first makes the comparison's time independent of where, and whether, lengths differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== "string" || typeof b !== "string") return false;
  return timingSafeEqual(sha256(a), sha256(b));
}

/** HMAC-SHA256 in hex: a digest that only a holder of `key` can compute (the keyed audit chain). */
export function hmacSha256Hex(key: Buffer, data: string): string {
  return createHmac("sha256", key).update(data, "utf8").digest("hex");
}

export function sha256Hex(data: string): string {
  return sha256(data).toString("hex");
}

function sha256(data: string): Buffer {
  return createHash("sha256").update(data, "utf8").digest();
}

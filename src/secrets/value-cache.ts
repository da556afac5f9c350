/**
 * Decrypted values by (secret, version), bounded (S4): a version's value never changes, so an entry is
 * only ever dropped for room or because its secret was deleted (forget).
 */
import { decryptField, keyIdOf } from "../crypto/index.js";
import { AppError } from "../errors.js";
import type { Tx } from "../store/db.js";
import type { Keyring } from "./keyring.js";
import { versionRow } from "./store.js";
import type { SecretValue } from "./types.js";

export const VALUE_CACHE_MAX = 10_000;

export interface ValueCache {
  /** The cached value, taken without an await (runs read it on every resolve). */
  peek(secretId: string, version: number): SecretValue | undefined;
  /** The value of a kept version, decrypted once; `not_found` when the version is not kept. */
  decrypt(tx: Tx, secret: { id: string; orgId: string }, version: number): Promise<SecretValue>;
  /** Drops every version of a deleted secret. */
  forget(secretId: string): void;
  clear(): void;
}

export function createValueCache(deps: { keyring: Pick<Keyring, "keyById">; max?: number }): ValueCache {
  const max = deps.max ?? VALUE_CACHE_MAX;
  const values = new Map<string, SecretValue>();
  const key = (secretId: string, version: number) => `${secretId}:${version}`;

  return {
    peek: (secretId, version) => values.get(key(secretId, version)),
    async decrypt(tx, secret, version) {
      const cacheKey = key(secret.id, version);
      const cached = values.get(cacheKey);
      if (cached !== undefined) return cached;
      const v = await versionRow(tx, secret.id, version);
      if (!v) throw new AppError("not_found", `version ${version} is not kept`);
      const dk = await deps.keyring.keyById(keyIdOf(v.ciphertext));
      const plain = decryptField(
        () => dk,
        { orgId: secret.orgId, secretId: secret.id, version, field: "value" },
        v.ciphertext,
      );
      const value = JSON.parse(plain) as SecretValue;
      if (values.size >= max) values.delete(values.keys().next().value as string);
      values.set(cacheKey, value);
      return value;
    },
    forget(secretId) {
      for (const k of values.keys()) if (k.startsWith(`${secretId}:`)) values.delete(k);
    },
    clear: () => values.clear(),
  };
}

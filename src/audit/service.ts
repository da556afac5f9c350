/** Append and list (A1, A2). Verification lives in verify.ts. */
import { AppError } from "../errors.js";
import type { Store, Tx } from "../store/db.js";
import { newId } from "../store/ids.js";
import { chainOf, entryHash, rowFields, toEntry } from "./chain.js";
import { insertEntry, listChain, lockHead, seqOf } from "./store.js";
import type { AuditEntry, AuditEntryInput, AuditLog } from "./types.js";

export const MAX_PAGE = 500;

export interface AuditLogDeps {
  store: Store;
  /** The HMAC key of the chain (key.ts): every entry is keyed. */
  key: Buffer;
  now?: () => number;
  /** Told the chain of each entry appended (committed or not), so the anchorer knows what to checkpoint. */
  onAppend?: (chain: string) => void;
}

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { store, key } = deps;
  const now = deps.now ?? Date.now;

  async function append(tx: Tx, entry: AuditEntryInput): Promise<void> {
    const fields = rowFields(entry, newId(), new Date(now()).toISOString());
    const head = await lockHead(tx, store.dialect, fields.chain);
    const row = { ...fields, chain_seq: head.seq + 1 };
    await insertEntry(tx, { ...row, prev_hash: head.hash, hash: entryHash(head.hash, row, key) });
    deps.onAppend?.(row.chain);
  }

  return {
    append,
    appendNow: (entry) => store.transaction((tx) => append(tx, entry)),
    async list(orgId, page): Promise<AuditEntry[]> {
      const limit = Math.min(Math.max(Math.trunc(page.limit) || 1, 1), MAX_PAGE);
      const chain = chainOf(orgId);
      let beforeSeq: number | undefined;
      if (page.before !== undefined) {
        beforeSeq = await seqOf(store.db, chain, page.before);
        if (beforeSeq === undefined) {
          throw new AppError(
            "invalid_request",
            "unknown cursor: `before` must be the id of an entry of this log",
            {
              fields: [{ field: "query.before", message: "no such entry" }],
            },
          );
        }
      }
      const rows = await listChain(store.db, chain, limit, beforeSeq);
      return rows.map(toEntry);
    },
  };
}

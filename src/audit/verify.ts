/**
 * `cloakroom audit verify` (A3): walks every chain in order and names the first entry that was edited,
 * removed or moved. An attacker who can write the database and recompute every later hash and the head is
 * not caught here; see docs/decisions/0105-audit-hash-chain.md.
 */
import type { Store } from "../store/db.js";
import { entryHash, GENESIS_HASH } from "./chain.js";
import { chainNames, chainPage, head } from "./store.js";
import type { VerifyResult } from "./types.js";

const PAGE = 1000;

/** Every chain by default; `only` limits the walk to the named chains (one organization's, say). */
export async function verifyAuditChain(store: Store, only?: string[]): Promise<VerifyResult> {
  let checked = 0;
  const chains = await chainNames(store.db);
  for (const chain of only ? chains.filter((c) => only.includes(c)) : chains) {
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let lastId: string | undefined;
    for (;;) {
      const rows = await chainPage(store.db, chain, expectedSeq - 1, PAGE);
      for (const row of rows) {
        const seq = Number(row.chain_seq);
        const fail = (reason: string, at = seq, id: string | undefined = row.id): VerifyResult => ({
          ok: false,
          checked,
          chain,
          seq: at,
          ...(id === undefined ? {} : { id }),
          reason,
        });
        if (seq !== expectedSeq) {
          return fail(
            `entry ${expectedSeq} is missing (removed); the next entry present is ${seq}`,
            expectedSeq,
            undefined,
          );
        }
        if (row.prev_hash !== prevHash) {
          return fail(
            "entry does not link to the entry before it (reordered, or the entry before it was replaced)",
          );
        }
        const { prev_hash: _prev, hash: _hash, ...fields } = row;
        const hash = entryHash(prevHash, { ...fields, chain_seq: seq });
        if (hash !== row.hash) return fail("entry content does not match its hash (edited)");
        checked += 1;
        prevHash = row.hash;
        lastId = row.id;
        expectedSeq += 1;
      }
      if (rows.length < PAGE) break;
    }
    const lastSeq = expectedSeq - 1;
    const top = await head(store.db, chain);
    if (!top)
      return { ok: false, checked, chain, seq: lastSeq, reason: "the chain has no head record (removed)" };
    if (top.seq > lastSeq) {
      return {
        ok: false,
        checked,
        chain,
        seq: lastSeq + 1,
        reason: `entries ${lastSeq + 1} to ${top.seq} are missing (removed from the end)`,
      };
    }
    if (top.seq !== lastSeq || top.hash !== prevHash) {
      return {
        ok: false,
        checked,
        chain,
        seq: lastSeq,
        ...(lastId === undefined ? {} : { id: lastId }),
        reason: "the last entry does not match the chain head (edited or appended outside Cloakroom)",
      };
    }
  }
  return { ok: true, checked };
}

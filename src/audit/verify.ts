/**
 * `cloakroom audit verify` (A3): walks every chain in order and names the first entry that was edited,
 * removed or moved, then checks each chain against its anchor (anchors.ts) so that a chain cut short or
 * deleted whole fails too. Entries are HMACs with the audit key (key.ts): a database writer without the
 * root key cannot rehash a rewritten chain. See docs/decisions/0155-keyed-audit-chain-and-anchors.md.
 */
import type { Store } from "../store/db.js";
import type { Anchor } from "./anchors.js";
import { entryHash, FORMAT_KEYED, FORMAT_UNKEYED, GENESIS_HASH } from "./chain.js";
import { chainNames, chainPage, head } from "./store.js";
import type { VerifyResult } from "./types.js";

const PAGE = 1000;

export interface VerifyOptions {
  /** The audit key; undefined for a database that has none yet (only unkeyed entries can then verify). */
  key: Buffer | undefined;
  /** The furthest anchor of each chain; every anchored chain must reach its anchor with the same hash. */
  anchors?: Map<string, Anchor> | undefined;
  /** Walk only these chains (one organization's, say); every chain when undefined. */
  only?: string[] | undefined;
}

export async function verifyAuditChain(store: Store, options: VerifyOptions): Promise<VerifyResult> {
  const anchors = options.anchors ?? new Map<string, Anchor>();
  let checked = 0;
  const only = options.only;
  const chains = (await chainNames(store.db)).filter((c) => !only || only.includes(c));
  for (const chain of [...anchors.keys()].filter((c) => !only || only.includes(c)).sort()) {
    const anchor = anchors.get(chain) as Anchor;
    if (!chains.includes(chain) && anchor.seq > 0) {
      return {
        ok: false,
        checked,
        chain,
        seq: 1,
        reason: `the chain is missing: it was anchored at ${anchor.seq} entries on ${anchor.at} (deleted)`,
      };
    }
  }
  for (const chain of chains) {
    const anchor = anchors.get(chain);
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let lastId: string | undefined;
    let keyed = false;
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
        const format = Number(row.format);
        if (format === FORMAT_UNKEYED && keyed) {
          return fail("an unkeyed entry follows keyed ones (rewritten without the audit key)");
        }
        if (format === FORMAT_KEYED && options.key === undefined) {
          return fail("the entry is keyed but the database has no audit key (the key was removed)");
        }
        if (format !== FORMAT_UNKEYED && format !== FORMAT_KEYED) {
          return fail(`the entry has an unknown format ${String(row.format)} (edited)`);
        }
        keyed ||= format === FORMAT_KEYED;
        const { prev_hash: _prev, hash: _hash, ...fields } = row;
        const hash = entryHash(prevHash, { ...fields, format, chain_seq: seq }, options.key);
        if (hash !== row.hash) return fail("entry content does not match its hash (edited)");
        if (anchor && seq === anchor.seq && hash !== anchor.hash) {
          return fail(`entry differs from the one anchored on ${anchor.at} (the chain was rewritten)`);
        }
        checked += 1;
        prevHash = row.hash;
        lastId = row.id;
        expectedSeq += 1;
      }
      if (rows.length < PAGE) break;
    }
    const lastSeq = expectedSeq - 1;
    if (anchor && lastSeq < anchor.seq) {
      return {
        ok: false,
        checked,
        chain,
        seq: lastSeq + 1,
        reason: `the chain ends at entry ${lastSeq} but was anchored at ${anchor.seq} entries on ${anchor.at} (entries removed from the end)`,
      };
    }
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

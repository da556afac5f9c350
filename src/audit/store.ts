/** The audit tables' queries. Only this domain touches `audit_log` and `audit_heads`. */
import type { Dialect, Tx } from "../store/db.js";
import { type AuditRow, GENESIS_HASH } from "./chain.js";

/**
 * Reads the chain's head for update. The head row is created first (`on conflict do nothing`) so there is
 * always a row to lock: on PostgreSQL concurrent appenders queue on it until the holder commits; SQLite's
 * write transactions are already exclusive (BEGIN IMMEDIATE).
 */
export async function lockHead(
  tx: Tx,
  dialect: Dialect,
  chain: string,
): Promise<{ seq: number; hash: string }> {
  await tx
    .insertInto("audit_heads")
    .values({ chain, chain_seq: 0, hash: GENESIS_HASH })
    .onConflict((oc) => oc.column("chain").doNothing())
    .execute();
  let query = tx.selectFrom("audit_heads").select(["chain_seq", "hash"]).where("chain", "=", chain);
  if (dialect === "postgres") query = query.forUpdate();
  const head = await query.executeTakeFirstOrThrow();
  return { seq: Number(head.chain_seq), hash: head.hash };
}

export async function insertEntry(tx: Tx, row: AuditRow): Promise<void> {
  await tx.insertInto("audit_log").values(row).execute();
  await tx
    .updateTable("audit_heads")
    .set({ chain_seq: row.chain_seq, hash: row.hash })
    .where("chain", "=", row.chain)
    .execute();
}

/** Newest first by chain position, which is the true order (ids made in the same millisecond are not). */
export async function listChain(
  db: Tx,
  chain: string,
  limit: number,
  beforeSeq: number | undefined,
): Promise<AuditRow[]> {
  let query = db.selectFrom("audit_log").selectAll().where("chain", "=", chain);
  if (beforeSeq !== undefined) query = query.where("chain_seq", "<", beforeSeq);
  return query.orderBy("chain_seq", "desc").limit(limit).execute();
}

export async function seqOf(db: Tx, chain: string, id: string): Promise<number | undefined> {
  const row = await db
    .selectFrom("audit_log")
    .select("chain_seq")
    .where("id", "=", id)
    .where("chain", "=", chain)
    .executeTakeFirst();
  return row ? Number(row.chain_seq) : undefined;
}

export async function chainNames(db: Tx): Promise<string[]> {
  const [logged, heads] = await Promise.all([
    db.selectFrom("audit_log").select("chain").distinct().execute(),
    db.selectFrom("audit_heads").select("chain").execute(),
  ]);
  return [...new Set([...logged, ...heads].map((r) => r.chain))].sort();
}

export async function head(db: Tx, chain: string): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db
    .selectFrom("audit_heads")
    .select(["chain_seq", "hash"])
    .where("chain", "=", chain)
    .executeTakeFirst();
  return row ? { seq: Number(row.chain_seq), hash: row.hash } : undefined;
}

/** One page of a chain in order, for verification without loading a whole chain into memory. */
export async function chainPage(db: Tx, chain: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
  return db
    .selectFrom("audit_log")
    .selectAll()
    .where("chain", "=", chain)
    .where("chain_seq", ">", afterSeq)
    .orderBy("chain_seq", "asc")
    .limit(limit)
    .execute();
}

export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
}

/** Every chain's head, for the anchor sweep. Chains that never got an entry (seq 0) are left out. */
export async function allHeads(db: Tx): Promise<ChainHead[]> {
  const rows = await db
    .selectFrom("audit_heads")
    .select(["chain", "chain_seq", "hash"])
    .where("chain_seq", ">", 0)
    .execute();
  return rows.map((r) => ({ chain: r.chain, seq: Number(r.chain_seq), hash: r.hash }));
}

export async function headsOf(db: Tx, chains: string[]): Promise<ChainHead[]> {
  if (chains.length === 0) return [];
  const rows = await db
    .selectFrom("audit_heads")
    .select(["chain", "chain_seq", "hash"])
    .where("chain", "in", chains)
    .where("chain_seq", ">", 0)
    .execute();
  return rows.map((r) => ({ chain: r.chain, seq: Number(r.chain_seq), hash: r.hash }));
}

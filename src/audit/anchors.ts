/**
 * Anchors of the audit chains (A3): checkpoints of each chain's head kept outside the database, so that
 * `audit verify` can tell a chain that was cut short, or deleted whole, from one that never grew. The keyed
 * hash stops a database writer from rewriting entries; only an anchor outside their reach catches removal
 * from the end, since moving the head back to an earlier entry needs no key.
 *
 * Each node appends anchors to `audit-anchors.jsonl` in its data dir (created 0600, fsynced after each
 * write), one JSON line per chain whose head moved: `{chain, seq, hash, at, mac}`, where `mac` is an HMAC
 * with the audit key, so a line cannot be forged either. Optionally each new line is also POSTed to an
 * operator's webhook, a copy that survives the loss of the node. See
 * docs/decisions/0155-keyed-audit-chain-and-anchors.md.
 */
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { constantTimeEqual, hmacSha256Hex, syncDirectory } from "../crypto/index.js";
import type { Store } from "../store/db.js";
import { allHeads, headsOf } from "./store.js";

export const ANCHOR_FILE = "audit-anchors.jsonl";
const ANCHOR_TAG = "cloakroom-audit-anchor-v1";
/** Every this many flushes, all chains are read, not only those appended to here (other nodes append too). */
const SWEEP_EVERY = 30;
/** Lines kept for the webhook while it is down; the file has them all regardless. */
const MAX_UNSHIPPED = 10_000;

export interface Anchor {
  chain: string;
  seq: number;
  hash: string;
  at: string;
}

export function anchorFilePath(dataDir: string): string {
  return join(dataDir, ANCHOR_FILE);
}

function anchorMac(key: Buffer, a: Anchor): string {
  return hmacSha256Hex(key, JSON.stringify([ANCHOR_TAG, a.chain, a.seq, a.hash, a.at]));
}

export function anchorLine(key: Buffer, a: Anchor): string {
  return JSON.stringify({ chain: a.chain, seq: a.seq, hash: a.hash, at: a.at, mac: anchorMac(key, a) });
}

export interface AnchorSet {
  /** The furthest authentic anchor of each chain. */
  latest: Map<string, Anchor>;
  /** 1-based numbers of lines that are not authentic anchors (edited, forged, or written with another key). */
  invalidLines: number[];
}

/** Reads an anchor file; undefined when there is none. */
export async function readAnchors(path: string, key: Buffer): Promise<AnchorSet | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseAnchors(text, key);
}

export function parseAnchors(text: string, key: Buffer): AnchorSet {
  const latest = new Map<string, Anchor>();
  const invalidLines: number[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim();
    if (!line) continue;
    const anchor = parseLine(line, key);
    if (!anchor) {
      invalidLines.push(i + 1);
      continue;
    }
    const known = latest.get(anchor.chain);
    if (!known || anchor.seq >= known.seq) latest.set(anchor.chain, anchor);
  }
  return { latest, invalidLines };
}

function parseLine(line: string, key: Buffer): Anchor | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { chain, seq, hash, at, mac } = raw;
  if (typeof chain !== "string" || typeof hash !== "string" || typeof at !== "string") return undefined;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0 || typeof mac !== "string")
    return undefined;
  const anchor = { chain, seq, hash, at };
  return constantTimeEqual(mac, anchorMac(key, anchor)) ? anchor : undefined;
}

export interface AnchorerDeps {
  store: Store;
  key: Buffer;
  dataDir: string;
  /** How long after an append its chain's head is anchored (and the period of the sweep). */
  intervalMs: number;
  /** Where new anchors are also POSTed as `{anchors: [line]}`; none when undefined. */
  webhookUrl?: string | undefined;
  logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  now?: () => Date;
}

export interface Anchorer {
  /** Writes the anchors found so far, creating the file, and starts the periodic checkpoint. */
  start(): Promise<void>;
  /** The chain was appended to: anchor its head at the next checkpoint. */
  markDirty(chain: string): void;
  /** Anchors every chain whose head moved, now. */
  flush(options?: { sweep?: boolean }): Promise<void>;
  /** Stops the timer after a last flush. */
  stop(): Promise<void>;
}

export function createAnchorer(deps: AnchorerDeps): Anchorer {
  const { store, key } = deps;
  const path = anchorFilePath(deps.dataDir);
  const now = deps.now ?? (() => new Date());
  const written = new Map<string, Anchor>();
  const dirty = new Set<string>();
  const unshipped: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushes = 0;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function checkpoint(sweep: boolean): Promise<void> {
    const chains = [...dirty];
    dirty.clear();
    const heads = sweep ? await allHeads(store.db) : await headsOf(store.db, chains);
    const lines: string[] = [];
    for (const head of heads) {
      const last = written.get(head.chain);
      if (last && last.seq === head.seq && last.hash === head.hash) continue;
      if (last && head.seq < last.seq) {
        // Never anchor a chain backwards: that is what an attacker who cut the chain would want.
        deps.logger.error(
          { chain: head.chain, anchoredSeq: last.seq, databaseSeq: head.seq },
          "audit chain is shorter than its anchor: entries were removed from the database",
        );
        continue;
      }
      const anchor = { chain: head.chain, seq: head.seq, hash: head.hash, at: now().toISOString() };
      lines.push(anchorLine(key, anchor));
      written.set(head.chain, anchor);
    }
    await append(lines);
    if (deps.webhookUrl && lines.length > 0) {
      unshipped.push(...lines);
      if (unshipped.length > MAX_UNSHIPPED) unshipped.splice(0, unshipped.length - MAX_UNSHIPPED);
    }
    await ship();
  }

  /** Appends and fsyncs; creates the file (0600) when missing, so its absence later means it was removed. */
  async function append(lines: string[]): Promise<void> {
    const handle = await open(path, "a", 0o600);
    let created = false;
    try {
      created = (await handle.stat()).size === 0;
      if (lines.length > 0) await handle.appendFile(`${lines.join("\n")}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (created) await syncDirectory(deps.dataDir);
  }

  async function ship(): Promise<void> {
    if (!deps.webhookUrl || unshipped.length === 0) return;
    const batch = unshipped.slice(0, 1000);
    try {
      const { request } = await import("../undici.js");
      const answer = await request(deps.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ anchors: batch.map((line) => JSON.parse(line) as unknown) }),
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      await answer.body.dump();
      if (answer.statusCode >= 300) throw new Error(`status ${answer.statusCode}`);
      unshipped.splice(0, batch.length);
    } catch (error) {
      deps.logger.warn(
        { pending: unshipped.length, reason: (error as Error).message },
        "audit anchors could not be shipped to the webhook; retrying at the next checkpoint",
      );
    }
  }

  function flush(options: { sweep?: boolean } = {}): Promise<void> {
    const sweep = options.sweep ?? false;
    running = running
      .catch(() => undefined)
      .then(() => checkpoint(sweep))
      .catch((error: unknown) => {
        deps.logger.error({ reason: (error as Error).message }, "audit anchor checkpoint failed");
      });
    return running;
  }

  return {
    async start() {
      const existing = await readAnchors(path, key).catch(() => undefined);
      for (const [chain, anchor] of existing?.latest ?? []) written.set(chain, anchor);
      await flush({ sweep: true });
      timer = setInterval(() => {
        flushes += 1;
        const sweep = flushes % SWEEP_EVERY === 0;
        if (sweep || dirty.size > 0) void flush({ sweep });
      }, deps.intervalMs);
      timer.unref();
    },
    markDirty(chain) {
      if (!stopped) dirty.add(chain);
    },
    flush,
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
      stopped = true;
    },
  };
}

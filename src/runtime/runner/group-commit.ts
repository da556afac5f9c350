/**
 * Group commit: writes that arrive while a transaction is being committed share the next one. On SQLite
 * with synchronous=FULL every commit is an fsync that blocks the event loop for milliseconds, so under
 * concurrent publishers this, not the work, would bound the rate. Each caller still gets its answer only
 * after its own write is durable.
 */
import type { Store, Tx } from "../../store/db.js";

export type GroupCommit<T, R> = (item: T) => Promise<R>;

/**
 * `apply` writes a whole batch in one transaction and returns one result per item, in order: a batch of
 * publishes is then a fixed number of statements, not a few per item (on PostgreSQL each is a round trip).
 */
export function groupCommit<T, R>(
  store: Store,
  apply: (tx: Tx, items: T[]) => Promise<R[]>,
): GroupCommit<T, R> {
  interface Pending {
    item: T;
    resolve(result: R): void;
    reject(error: unknown): void;
  }
  const enqueue = batches<Pending>(async (batch) => {
    try {
      const items = batch.map((p) => p.item);
      const results = await store.transaction((tx) => apply(tx, items));
      for (const [i, p] of batch.entries()) p.resolve(results[i] as R);
    } catch {
      // One failing write must not fail the others: each goes again alone and gets its own outcome.
      for (const p of batch) {
        await store
          .transaction((tx) => apply(tx, [p.item]))
          .then((results) => p.resolve(results[0] as R), p.reject);
      }
    }
  });
  return (item) => new Promise<R>((resolve, reject) => enqueue({ item, resolve, reject }));
}

/**
 * Hands `flush` everything queued since its last call, one batch at a time: items that arrive while a
 * batch is being written wait for the next one. One turn of the event loop first lets items already on
 * their way join the first batch. `flush` must settle its items itself and not throw.
 */
export function batches<T>(flush: (batch: T[]) => Promise<void>): (item: T) => void {
  let queue: T[] = [];
  let flushing = false;

  async function drain(): Promise<void> {
    flushing = true;
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        await flush(batch);
      }
    } finally {
      flushing = false;
    }
  }

  return (item) => {
    queue.push(item);
    if (!flushing) void drain();
  };
}

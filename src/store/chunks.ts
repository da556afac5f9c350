/** A multi-row insert goes this many rows at a time, to keep each statement under SQLite's bound-parameter limit. */
export const INSERT_CHUNK_ROWS = 500;

/** Calls `write` on consecutive slices of at most `size` items, in order, each after the previous one. */
export async function inChunks<T>(
  items: readonly T[],
  size: number,
  write: (chunk: T[]) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await write(items.slice(i, i + size));
}

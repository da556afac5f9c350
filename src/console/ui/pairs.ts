/** Name-value pairs as editors hold them (headers, query parameters): a stable key each, as names change. */

export type Pair<V> = { key: number; name: string; value: V };

let keys = 0;
export const nextKey = () => ++keys;

export const toPairs = <V>(r: Record<string, V>): Pair<V>[] =>
  Object.entries(r).map(([name, value]) => ({ key: nextKey(), name, value }));

/** The wire form: pairs without a name are left out. */
export const toRecord = <V>(pairs: Pair<V>[]): Record<string, V> =>
  Object.fromEntries(pairs.filter((p) => p.name !== "").map((p) => [p.name, p.value]));

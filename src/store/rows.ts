/**
 * Rows grouped by a key, in the rows' order: the children of each parent a query asked about. A key
 * already in `into` (a parent given an empty list first) gets its rows appended.
 */
export function groupRows<R, V>(
  rows: readonly R[],
  key: (row: R) => string,
  value: (row: R) => V,
  into: Map<string, V[]> = new Map(),
): Map<string, V[]> {
  for (const row of rows) {
    const k = key(row);
    const list = into.get(k);
    if (list) list.push(value(row));
    else into.set(k, [value(row)]);
  }
  return into;
}

/**
 * Layered rebuilds (decision 0360): the rebuilds of a chain of changes, as the runner makes them (each
 * from the redactor built last, one more value changed each time), and the scan of the matcher at the end
 * of the chain against one built from scratch over the same values (paired, same process, CPU).
 *
 *   npm run build && node --expose-gc dist/bench/redaction-layered.bench.js [changes] [set name part]
 *
 * `changes` (default 100): the chain's length; 280 comes near the share at which a rebuild is a full one
 * again for the large sets. Reported per set: the first build, the chain's rebuilds (min / median / max,
 * and how many were full builds), and per log the scan's median CPU, layered / fresh,
 * with a second fresh matcher's against the first (the A/A: the comparison's noise).
 */
import { createRedactor, isLayered, type Redactor } from "../src/redaction/index.js";
import { logText, proseLog, secretSets, tokenDenseLog } from "./redaction-shapes.js";
import { cpuMs, median } from "./support.js";

const changes = Number(process.argv[2] ?? 100);
const only = process.argv[3] ?? "";
const MiB = 1 << 20;
const ROUNDS = 15;
const fmt = (x: number) => x.toFixed(x < 10 ? 1 : 0);

console.log(
  `${changes} chained changes of 10,000 values; CPU ms; scan ratio = median layered / median fresh`,
);
console.log(
  "set | first build | rebuilds min / median / max (full builds) | bench log | dense log | prose log",
);
for (const { name, values } of secretSets(10_000, { bench: 1, sets: 7 })) {
  if (!name.includes(only)) continue;
  const current = values.slice();
  let redactor: Redactor | undefined;
  const cold = cpuMs(() => (redactor = createRedactor(values)));
  const rebuilds: number[] = [];
  let full = 0;
  for (let i = 0; i < changes; i++) {
    // Spread over the set, so values of every length change.
    const k = (i * 997) % current.length;
    current[k] = `${current[k]}x${i}`;
    const snapshot = current.slice();
    rebuilds.push(cpuMs(() => (redactor = createRedactor(snapshot, redactor))));
    if (!isLayered(redactor!)) full++;
  }
  const layered = redactor!;
  const fresh = createRedactor(current);
  const again = createRedactor(current);
  const cells: string[] = [];
  for (const text of [
    logText(MiB, current, 11),
    tokenDenseLog(MiB, current, 12),
    proseLog(MiB, current, 13),
  ]) {
    if (layered.redact(text) !== fresh.redact(text)) throw new Error(`${name}: layered and fresh differ`);
    // Layered, fresh, and fresh again (the A/A), rotated so none always runs on another's leftovers.
    const sides = [layered, fresh, again];
    const times: number[][] = [[], [], []];
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < 3; i++) {
        const s = (r + i) % 3;
        times[s]!.push(cpuMs(() => sides[s]!.redact(text)));
      }
    }
    const [a, b, aa] = times.map(median) as [number, number, number];
    cells.push(`${fmt(a)} / ${fmt(b)} = ${(a / b).toFixed(2)} (A/A ${(aa / b).toFixed(2)})`);
  }
  const sorted = rebuilds.slice().sort((x, y) => x - y);
  console.log(
    `${name} | ${fmt(cold)} | ${fmt(sorted[0]!)} / ${fmt(median(rebuilds))} / ${fmt(sorted[sorted.length - 1]!)} (${full} full) | ${cells.join(" | ")}`,
  );
}

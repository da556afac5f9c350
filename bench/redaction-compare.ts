/**
 * Paired comparison of two builds of `src/redaction` in one process (decisions 0101, 0130, 0240): builds
 * and scans alternate between the two over the same inputs, so a loaded machine slows both alike; the
 * figure is the median of the per-pair ratios of CPU time. Not a `.bench` file: it needs the other copy.
 *
 *   git archive <commit> src/redaction | tar -x -C /tmp/old     (then compile it with the repo's options)
 *   node dist/bench/redaction-compare.js /tmp/old/dist/src/redaction [pairs] [scan | build | rebuild | <set name part>]
 *
 * `rebuild`: each side rebuilds its redactor after one value changed (the first, as the shapes bench does),
 * given its own previous redactor (decision 0285). `chain`: as the runner does after a series of changes,
 * each side rebuilds `pairs` times, each time after one more value changed, from the redactor it built
 * last (decision 0360: layered rebuilds). `matrix`: the scan of each of the twelve sets, and the bench's set without
 * its values under 7 characters, on each of the three logs planted with that set's own values (decision 0370:
 * the sets and logs the shapes bench does not pair).
 */

import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as ours from "../src/redaction/index.js";
import {
  logText,
  proseLog,
  SECRET_SETS,
  secretSets,
  secrets,
  secretValues,
  tokenDenseLog,
} from "./redaction-shapes.js";
import { cpuMs, median } from "./support.js";

type Module = typeof ours;
const dir = process.argv[2];
if (!dir)
  throw new Error("usage: redaction-compare.js <directory of the other compiled src/redaction> [pairs]");
const other = (await import(pathToFileURL(path.resolve(dir, "index.js")).href)) as Module;
const pairs = Number(process.argv[3] ?? 5);
/** `scan`, `build`, `rebuild`, or a substring of a secret set's name (`hex`): what to compare. */
const only = process.argv[4];
const MiB = 1 << 20;
/** The shapes bench's absent needle: `indexOf` of it is the floor. */
const NEEDLE = "zQ9!absent-needle-\u0001";

const cpu = cpuMs;

/** Pairs of CPU times, ours and the other's. */
class Pairs {
  readonly as: number[] = [];
  readonly bs: number[] = [];
  private readonly ratios: number[] = [];
  /** Times pair i; which side goes first alternates, so neither always runs on the other's leftovers. */
  time(i: number, a: () => unknown, b: () => unknown): void {
    let x: number;
    let y: number;
    if (i % 2 === 0) {
      x = cpu(a);
      y = cpu(b);
    } else {
      y = cpu(b);
      x = cpu(a);
    }
    this.as.push(x);
    this.bs.push(y);
    this.ratios.push(x / y);
  }
  /** Median of the ratios ours/other, and each side's minimum CPU time. */
  result(): { ratio: number; ours: number; other: number } {
    return { ratio: median(this.ratios), ours: Math.min(...this.as), other: Math.min(...this.bs) };
  }
}

function paired(a: () => unknown, b: () => unknown): { ratio: number; ours: number; other: number } {
  a();
  b();
  const times = new Pairs();
  for (let i = 0; i < pairs; i++) times.time(i, a, b);
  return times.result();
}

const show = (name: string, r: { ratio: number; ours: number; other: number }, unit: string) =>
  console.log(
    `  ${name.padEnd(30)} ours ${r.ours.toFixed(2).padStart(8)} ${unit}  other ${r.other.toFixed(2).padStart(8)} ${unit}  ratio ${r.ratio.toFixed(2)}`,
  );

const random = secretValues(SECRET_SETS[0]!, 10_000, 5);
const bench = secrets(10_000, 11_000);
if (!only || only === "scan") compareScans();
if (only === "matrix") {
  compareMatrix();
  process.exit(0);
}

function compareMatrix(): void {
  console.log(
    `\nScan of 1 MiB at 10,000 secrets, each set on each log planted with its own values. Alone: CPU ms, min of 5 runs of ours in a row, and that over the indexOf floor; paired: min of ${pairs} each and the median ratio ours/other (taking turns, each evicts the other's tables from the caches)`,
  );
  console.log(`  ${"set".padEnd(28)} log      alone   / floor   paired ours  other  ratio`);
  const sets = [
    ...secretSets(10_000, { bench: 11_000, sets: 5 }),
    { name: "bench set, none under 7", values: bench.filter((v) => v.length >= 7) },
  ];
  for (const { name, values } of sets) {
    const r1 = ours.createRedactor(values);
    const r2 = other.createRedactor(values);
    for (const [log, text] of [
      ["bench", logText(MiB, values, 42)],
      ["dense", tokenDenseLog(MiB, values, 42)],
      ["prose", proseLog(MiB, values, 42)],
    ] as const) {
      if (r1.redact(text) !== r2.redact(text)) console.log(`  ${name}, ${log} log: the two outputs DIFFER`);
      r1.redact(text);
      const alone = Math.min(...Array.from({ length: 5 }, () => cpu(() => r1.redact(text))));
      const floor = Math.min(...Array.from({ length: 31 }, () => cpu(() => text.indexOf(NEEDLE))));
      const r = paired(
        () => r1.redact(text),
        () => r2.redact(text),
      );
      console.log(
        `  ${name.padEnd(28)} ${log}  ${alone.toFixed(2).padStart(6)} ${(alone / floor).toFixed(1).padStart(8)}x  ${r.ours.toFixed(2).padStart(10)} ${r.other.toFixed(2).padStart(6)}  ${r.ratio.toFixed(2).padStart(5)}`,
      );
    }
  }
}

function compareScans(): void {
  console.log(
    `\nScan of 1 MiB at 10,000 secrets, CPU ms (min of ${pairs}), ratio ours/other (median of pairs)`,
  );
  for (const [name, values, text] of [
    ["bench log", bench, logText(MiB, bench, 42)],
    ["dense log", random, tokenDenseLog(MiB, random, 42)],
    ["prose log", random, proseLog(MiB, random, 42)],
  ] as const) {
    const r1 = ours.createRedactor(values);
    const r2 = other.createRedactor(values);
    if (r1.redact(text) !== r2.redact(text)) console.log(`  ${name}: the two outputs DIFFER`);
    show(
      name,
      paired(
        () => r1.redact(text),
        () => r2.redact(text),
      ),
      "ms",
    );
  }
}

const chain = only === "chain";
const rebuild = only === "rebuild" || chain;
if (only !== "scan")
  console.log(
    `\n${rebuild ? "Rebuild after one change" : "Build"} of 10,000 values, CPU ms (min of ${pairs}), ratio ours/other (median of pairs)`,
  );
const sets = secretSets(10_000, { bench: 11_000, sets: 5 });
for (const { name, values } of sets) {
  if (only === "scan" || (only && only !== "build" && !rebuild && !name.includes(only))) continue;
  if (chain) {
    const current = values.slice();
    let last = [ours.createRedactor(values), other.createRedactor(values)] as const;
    const times = new Pairs();
    for (let i = 0; i < pairs; i++) {
      // Spread over the set, so the values of all lengths change.
      const k = (i * 997) % current.length;
      current[k] = `${current[k]}x${i}`;
      const snapshot = current.slice();
      let [a, b] = last;
      times.time(
        i,
        () => (a = ours.createRedactor(snapshot, last[0])),
        () => (b = other.createRedactor(snapshot, last[1])),
      );
      last = [a, b];
    }
    show(name, times.result(), "ms");
    const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(" ");
    console.log(`    ours ${list(times.as)} | other ${list(times.bs)}`);
    continue;
  }
  if (rebuild) {
    const changed = [`${values[0]}x`, ...values.slice(1)];
    const before = [ours.createRedactor(values), other.createRedactor(values)] as const;
    show(
      name,
      paired(
        () => ours.createRedactor(changed, before[0]),
        () => other.createRedactor(changed, before[1]),
      ),
      "ms",
    );
    continue;
  }
  show(
    name,
    paired(
      () => ours.createRedactor(values),
      () => other.createRedactor(values),
    ),
    "ms",
  );
}

/**
 * The build prototype of decision 0345 (src/redaction/prototype/) against the product's build, paired in one
 * process: each round builds with the product (A), the prototype (P) and the product again (A', the A/A),
 * in rotated order, `gc()` before each, CPU time. Each side keeps its last build alive until its next one,
 * as the runner's redactor cache does (a build whose objects all die loses its optimized code at the next
 * full collection). Then the scan of the three logs, product against prototype (same sets, paired).
 *
 *   node --expose-gc dist/bench/redaction-prototype.js [rounds] [build | scan] [set name part]
 *   node --expose-gc dist/bench/redaction-prototype.js 1 first <product | prototype> <set name part>
 *
 * `first`: one build of the first matching set in this process (a fresh process each time: the first
 * build in a process is mostly compilation), its CPU ms printed.
 */
import { collectPatterns } from "../src/redaction/forms.js";
import { createMatcher } from "../src/redaction/matcher.js";
import { createPrototypeMatcher, phases } from "../src/redaction/prototype/build.js";
import { logText, proseLog, secretSets, tokenDenseLog } from "./redaction-shapes.js";
import { cpuMs, median, medianRatio } from "./support.js";

const rounds = Number(process.argv[2] ?? 7);
const what = process.argv[3] ?? "build";
const first = what === "first" ? process.argv[4] : undefined;
const only = (first ? process.argv[5] : process.argv[4]) ?? "";
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

function cpu(fn: () => void): number {
  gc!();
  return cpuMs(fn);
}
const fmt = (x: number) => x.toFixed(x < 10 ? 2 : 0);

const sets = secretSets(10_000, { bench: 1, sets: 7 }).filter((s) => s.name.includes(only));

let keep: unknown[] = [null, null, null];
const product = (values: string[]) => createMatcher(collectPatterns(values));

if (first) {
  const values = sets[0]!.values;
  const ms = cpu(() => (first === "product" ? product(values) : createPrototypeMatcher(values)));
  console.log(`${first} ${sets[0]!.name} first build: ${ms.toFixed(0)} ms CPU`);
}

if (what === "build") {
  console.log(`build, ${rounds} rounds; CPU ms min / median; ratio = median of per-round ratios`);
  console.log(
    "set | product | prototype | prototype/product | product'/product (A/A) | forms | prototype: forms + windows + tiers (medians)",
  );
  for (const { name, values } of sets) {
    const times: number[][] = [[], [], []];
    const sides = [
      () => (keep[0] = product(values)),
      () => (keep[1] = createPrototypeMatcher(values)),
      () => (keep[2] = product(values)),
    ];
    for (const side of sides) side();
    const parts: number[][] = [[], [], []];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 3; i++) {
        const s = (r + i) % 3;
        times[s]!.push(cpu(sides[s]!));
        if (s === 1) {
          parts[0]!.push(phases.forms);
          parts[1]!.push(phases.windows);
          parts[2]!.push(phases.tiers);
        }
      }
    }
    const [a, p, aa] = times as [number[], number[], number[]];
    const count = (keep[1] as { count: number }).count;
    console.log(
      `${name} | ${fmt(Math.min(...a))} / ${fmt(median(a))} | ${fmt(Math.min(...p))} / ${fmt(median(p))} | ` +
        `${medianRatio(p, a).toFixed(2)} | ${medianRatio(aa, a).toFixed(2)} | ${count} | ${parts.map((x) => fmt(median(x))).join(" + ")}`,
    );
  }
  keep = [];
}

if (what === "scan") {
  const MiB = 1 << 20;
  console.log(`scan of 1 MiB x 5, ${rounds} rounds; CPU ms median product / prototype, ratio (A/A)`);
  console.log("set | bench log | dense log | prose log");
  for (const { name, values } of sets) {
    const logs = [
      ["bench log", logText(MiB, values, 11)],
      ["dense log", tokenDenseLog(MiB, values, 12)],
      ["prose log", proseLog(MiB, values, 13)],
    ] as const;
    const a = product(values);
    const p = createPrototypeMatcher(values);
    const a2 = product(values);
    const cells: string[] = [];
    for (const [, text] of logs) {
      // Five scans a sample: one scan of a MiB is 1 to 3 ms, near the resolution of the CPU clock's noise.
      const five = (m: { ranges(t: string): number[] }) => () => {
        for (let i = 0; i < 5; i++) m.ranges(text);
      };
      const sides = [five(a), five(p), five(a2)];
      for (const side of sides) side();
      const times: number[][] = [[], [], []];
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < 3; i++) {
          const s = (r + i) % 3;
          times[s]!.push(cpu(sides[s]!));
        }
      }
      const [ta, tp, taa] = times as [number[], number[], number[]];
      cells.push(
        `${fmt(median(ta))} / ${fmt(median(tp))} ${medianRatio(tp, ta).toFixed(2)} (${medianRatio(taa, ta).toFixed(2)})`,
      );
    }
    console.log(`${name} | ${cells.join(" | ")}`);
  }
}

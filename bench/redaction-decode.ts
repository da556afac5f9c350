/**
 * The "decode the text, not encode the values" prototype of decision 0346 (src/redaction/prototype-decode/)
 * against the product, paired in one process, for the bench set and the eleven sets of `SECRET_SETS`
 * (10,000 values each):
 *
 *   node --expose-gc dist/bench/redaction-decode.js [rounds] [build | scan | cover | all] [set name part]
 *
 * build: per round the product (A), the prototype (D: the reduced set through the product's collection and
 *   matcher), the reduced set through decision 0345's build (D'), and the product again (A', the A/A),
 *   rotated, `gc()` before each, CPU ms; each side keeps its last build alive (as the runner's cache does).
 * scan: 1 MiB of each of the three logs of the shapes bench, five scans a sample, A / D / A' rotated; the
 *   prototype's split (reduced matcher over the text; decoding and the matcher over the views; the views
 *   without the restarts, which miss forms glued to an unfinished escape: what the restarts cost), the
 *   `indexOf` floor as redaction-shapes.bench.ts computes it, and the share of the log in decoded regions.
 * cover: whether every product range lies inside a prototype range, and how much more the prototype hides.
 */
import { collectPatterns } from "../src/redaction/forms.js";
import { createMatcher } from "../src/redaction/matcher.js";
import { createDecodeMatcher, phases } from "../src/redaction/prototype-decode/decode-matcher.js";
import { logText, proseLog, secretSets, tokenDenseLog } from "./redaction-shapes.js";
import { cpuMs, median, medianRatio } from "./support.js";

const rounds = Number(process.argv[2] ?? 7);
const what = process.argv[3] ?? "all";
const only = process.argv[4] ?? "";
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const MiB = 1 << 20;
const NEEDLE = "zQ9!absent-needle-\u0001";
let sink = 0;

function cpu(fn: () => void, collect = true): number {
  if (collect) gc!();
  return cpuMs(fn);
}
const fmt = (x: number) => x.toFixed(x < 10 ? 2 : 0);

const sets = secretSets(10_000, { bench: 1, sets: 7 }).filter((s) => s.name.includes(only));
const product = (values: string[]) => createMatcher(collectPatterns(values));
const logsOf = (values: string[]) =>
  [
    ["bench", logText(MiB, values, 11)],
    ["dense", tokenDenseLog(MiB, values, 12)],
    ["prose", proseLog(MiB, values, 13)],
  ] as const;

/** Runs the sides `rounds` times in rotated order; each side's CPU ms per round. */
function paired(sides: (() => void)[], collect: boolean): number[][] {
  for (const side of sides) side();
  const times: number[][] = sides.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < sides.length; i++) {
      const s = (r + i) % sides.length;
      times[s]!.push(cpu(sides[s]!, collect));
    }
  }
  return times;
}

function build(): void {
  console.log(`\nbuild, ${rounds} rounds; CPU ms min / median; ratios: median of per-round ratios`);
  console.log(
    "set | product patterns | reduced patterns (irregular, short) | product | prototype | D/A | with 0345's build | D'/A | A'/A | D: forms + matcher, D': forms + windows and tiers (medians) | <= 100 ms (medians D, D')",
  );
  for (const { name, values } of sets) {
    const keep: unknown[] = [null, null, null, null];
    const parts: number[][] = [[], [], [], []];
    const times = paired(
      [
        () => (keep[0] = product(values)),
        () => {
          keep[1] = createDecodeMatcher(values);
          parts[0]!.push(phases.forms);
          parts[1]!.push(phases.matcher);
        },
        () => {
          keep[2] = createDecodeMatcher(values, true, "0345");
          parts[2]!.push(phases.forms);
          parts[3]!.push(phases.matcher);
        },
        () => (keep[3] = product(values)),
      ],
      true,
    );
    const [a, d, d2, aa] = times as [number[], number[], number[], number[]];
    const dm = keep[1] as ReturnType<typeof createDecodeMatcher>;
    const within = (xs: number[]) => (median(xs) <= 100 ? "yes" : "NO");
    const m = (i: number) => fmt(median(parts[i]!));
    console.log(
      `${name} | ${collectPatterns(values).patterns.length} | ${dm.count} (${dm.irregular}, ${dm.short}) | ` +
        `${fmt(Math.min(...a))} / ${fmt(median(a))} | ${fmt(Math.min(...d))} / ${fmt(median(d))} | ` +
        `${medianRatio(d, a).toFixed(2)} | ${fmt(Math.min(...d2))} / ${fmt(median(d2))} | ${medianRatio(d2, a).toFixed(2)} | ` +
        `${medianRatio(aa, a).toFixed(2)} | ${m(0)} + ${m(1)}, ${m(2)} + ${m(3)} | ${within(d)}, ${within(d2)}`,
    );
  }
}

function scan(): void {
  console.log(
    `\nscan of 1 MiB x 5, ${rounds} rounds; CPU ms per MiB, medians; ratios: median of per-round ratios`,
  );
  console.log(
    "set | log | product | prototype | D/A | A'/A | prototype: text + views (views without restarts) | floor min / median | product/floor | prototype/floor (min, median) | in regions",
  );
  for (const { name, values } of sets) {
    const a = product(values);
    const d = createDecodeMatcher(values);
    const bare = createDecodeMatcher(values, false);
    const a2 = product(values);
    for (const [log, text] of logsOf(values)) {
      const five = (fn: () => number) => () => {
        for (let i = 0; i < 5; i++) sink += fn();
      };
      const [ta, td, taa] = paired(
        [
          five(() => a.ranges(text).length),
          five(() => d.ranges(text).length),
          five(() => a2.ranges(text).length),
        ],
        false,
      ) as [number[], number[], number[]];
      const [tt, tv, tb] = paired(
        [
          five(() => d.textRanges(text).length),
          five(() => d.viewRanges(text).ranges.length),
          five(() => bare.viewRanges(text).ranges.length),
        ],
        false,
      ) as [number[], number[], number[]];
      const floor: number[] = [];
      for (let i = 0; i < 31; i++) floor.push(cpu(() => (sink += text.indexOf(NEEDLE)), false));
      const per = (xs: number[]) => xs.map((x) => x / 5);
      const [pa, pd] = [per(ta), per(td)];
      const regions = d.viewRanges(text).regionChars / text.length;
      console.log(
        `${name} | ${log} | ${fmt(median(pa))} | ${fmt(median(pd))} | ${medianRatio(td, ta).toFixed(2)} | ${medianRatio(taa, ta).toFixed(2)} | ` +
          `${fmt(median(per(tt)))} + ${fmt(median(per(tv)))} (${fmt(median(per(tb)))}) | ${Math.min(...floor).toFixed(3)} / ${median(floor).toFixed(3)} | ` +
          `${(Math.min(...pa) / Math.min(...floor)).toFixed(1)}x | ${(Math.min(...pd) / Math.min(...floor)).toFixed(1)}x, ` +
          `${(median(pd) / median(floor)).toFixed(1)}x | ${(100 * regions).toFixed(1)}%`,
      );
    }
  }
}

/** Characters inside the ranges. */
const covered = (r: readonly number[]) => {
  let n = 0;
  for (let i = 0; i < r.length; i += 2) n += r[i + 1]! - r[i]!;
  return n;
};

function cover(): void {
  console.log(
    "\ncover: product ranges inside a prototype range; what the prototype hides beyond the product",
  );
  console.log(
    "set | log | product ranges | prototype ranges | product ranges not covered | extra characters | prototype ranges holding no product range",
  );
  let missed = 0;
  let differ = 0;
  for (const { name, values } of sets) {
    const a = product(values);
    const d = createDecodeMatcher(values);
    const d2 = createDecodeMatcher(values, true, "0345");
    for (const [log, text] of logsOf(values)) {
      const pr = a.ranges(text);
      const dr = d.ranges(text);
      if (JSON.stringify(d2.ranges(text)) !== JSON.stringify(dr)) {
        console.log(`${name} | ${log} | the 0345-build variant's ranges differ from the prototype's`);
        differ++;
      }
      let miss = 0;
      let j = 0;
      let holding = 0;
      for (let i = 0; i < pr.length; i += 2) {
        while (j < dr.length && dr[j + 1]! < pr[i + 1]!) j += 2;
        if (!(j < dr.length && dr[j]! <= pr[i]! && pr[i + 1]! <= dr[j + 1]!)) miss++;
      }
      for (let k = 0, i = 0; k < dr.length; k += 2) {
        while (i < pr.length && pr[i + 1]! <= dr[k]!) i += 2;
        if (i < pr.length && pr[i]! < dr[k + 1]!) holding++;
      }
      missed += miss;
      console.log(
        `${name} | ${log} | ${pr.length / 2} | ${dr.length / 2} | ${miss} | ${covered(dr) - covered(pr)} | ${dr.length / 2 - holding}`,
      );
    }
  }
  console.log(missed === 0 ? "every product range is covered" : `${missed} product ranges NOT covered`);
  console.log(`the 0345-build variant's ranges differ on ${differ} of ${3 * sets.length} logs`);
}

const started = performance.now();
if (what === "build" || what === "all") build();
if (what === "scan" || what === "all") scan();
if (what === "cover" || what === "all") cover();
console.log(
  `\n(total ${((performance.now() - started) / 1000).toFixed(1)} s; node ${process.version}; sink ${sink})`,
);

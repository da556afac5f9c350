/**
 * The redactor in a process that has scanned before (issue 13, decision 0375), measured in fresh
 * processes, since what it looks at is V8's state, which is per process. Each child scans 1 MiB of the
 * bench log five times with a redactor of 100 values (a small organization), builds the bench set's
 * 10,000 values and times its first four scans of the log (CPU and wall: the target is steady from the
 * first runs after a build), then times builds of four sets (CPU, least of three after a first one).
 * Given another build's compiled `src/redaction`, children of the two builds alternate, so a loaded
 * machine slows both alike.
 *
 *   npm run build && node dist/bench/redaction-fresh-process.bench.js [other dist/src/redaction] [processes per side, 6]
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { logText, secretSet, secrets } from "./redaction-shapes.js";
import { cpuMs, median } from "./support.js";

const BUILT = ["bench set", "random printable 64", "URLs with credentials", "random hex 8-64"];
const values = (name: string) => secretSet(name, 10_000, { bench: 11_000, sets: 5 });

interface Sample {
  /** The first four scans of 1 MiB after the build: CPU and wall ms. */
  scans: { cpu: number; wall: number }[];
  /** CPU ms of a build of each set of BUILT, after the scans. */
  builds: number[];
}

// A child: `--child <compiled src/redaction>` prints one Sample as JSON.
if (process.argv[2] === "--child") {
  const module = (await import(
    pathToFileURL(path.join(process.argv[3]!, "index.js")).href
  )) as typeof import("../src/redaction/index.js");
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const bench = values(BUILT[0]!);
  const text = logText(1 << 20, bench, 42);
  const small = module.createRedactor(secrets(100, 1_100));
  for (let i = 0; i < 5; i++) small.redact(text);
  gc();
  let kept = module.createRedactor(bench);
  const scans = [0, 1, 2, 3].map(() => {
    const started = performance.now();
    const cpu = cpuMs(() => kept.redact(text));
    return { cpu, wall: performance.now() - started };
  });
  const builds = BUILT.map((name) => {
    const set = values(name);
    const times = [0, 1, 2, 3].map(() => {
      gc();
      return cpuMs(() => {
        kept = module.createRedactor(set);
      });
    });
    return Math.min(...times.slice(1));
  });
  console.log(JSON.stringify({ scans, builds } satisfies Sample));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const ours = fileURLToPath(new URL("../src/redaction", import.meta.url));
const other = process.argv[2] && Number.isNaN(Number(process.argv[2])) ? path.resolve(process.argv[2]) : null;
const processes = Number(process.argv[other ? 3 : 2] ?? 6);
const sample = (dir: string): Sample =>
  JSON.parse(
    execFileSync(process.execPath, ["--expose-gc", self, "--child", dir], { encoding: "utf8" }).trim(),
  ) as Sample;

const sides = other ? [ours, other] : [ours];
const samples = new Map<string, Sample[]>(sides.map((side) => [side, []]));
for (let round = 0; round < processes; round++)
  for (const side of round % 2 ? [...sides].reverse() : sides) samples.get(side)!.push(sample(side));

const f1 = (x: number) => x.toFixed(1);
console.log(
  `Fresh processes, ${processes} a side; medians. First scans of 1 MiB (the bench log) after a build of the bench set's\n` +
    "10,000 values, CPU / wall ms; then builds of 10,000 values after those scans, CPU ms (least of 3)\n",
);
console.log(
  `${"build".padEnd(12)}${"scan 1".padStart(13)}${"scan 2".padStart(13)}${"scan 3".padStart(13)}${"scan 4".padStart(13)}  ${BUILT.join(" | ")}`,
);
for (const side of sides) {
  const all = samples.get(side)!;
  const scans = [0, 1, 2, 3].map(
    (k) => `${f1(median(all.map((s) => s.scans[k]!.cpu)))} / ${f1(median(all.map((s) => s.scans[k]!.wall)))}`,
  );
  const builds = BUILT.map((_, k) => f1(median(all.map((s) => s.builds[k]!))));
  console.log(
    `${(side === ours ? "this" : "other").padEnd(12)}${scans.map((s) => s.padStart(13)).join("")}  ${builds.join(" | ")}`,
  );
}
if (other) {
  const ratio = (pick: (s: Sample) => number) =>
    (median(samples.get(ours)!.map(pick)) / median(samples.get(other)!.map(pick))).toFixed(2);
  console.log(
    `${"this/other".padEnd(12)}${[0, 1, 2, 3].map((k) => ratio((s) => s.scans[k]!.cpu).padStart(13)).join("")}  ${BUILT.map((_, k) => ratio((s) => s.builds[k]!)).join(" | ")}`,
  );
}
console.log(
  `\nnode ${process.version}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

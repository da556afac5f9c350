/**
 * Redaction throughput, build time and memory (SPEC X6, decision 0101).
 *
 *   node --expose-gc --import tsx bench/redaction.bench.ts      (or: npx tsx bench/redaction.bench.ts)
 *
 * Text: 1 MiB of JSON-lines HTTP logs (seeded, so every run sees the same bytes) with secret values
 * inserted raw, JSON-escaped, percent-encoded and in base64 (basic auth). Secrets: API keys, passwords,
 * JSON config leaves and a few short values, 1,000 and 10,000 of them, each expanded into its forms.
 * Compared in the same run with:
 *   (a) the per-pattern indexOf-and-replace loop of CI log maskers (timed on a sample of the patterns
 *       and scaled to all of them: the whole loop would take minutes),
 *   (b) modern-ahocorasick over the same patterns (search for all matches, then build the output),
 *   (c) one text.indexOf of an absent needle: the floor for touching the text at all.
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import AhoCorasick from "modern-ahocorasick";
import { collectPatterns, expandPatterns } from "../src/redaction/forms.js";
import { createRedactor, type Redactor, SENSITIVE } from "../src/redaction/index.js";
import { generator, logText, secrets } from "./redaction-shapes.js";
import { unionReplace } from "./support.js";

const MiB = 1 << 20;

function gcFunction(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
const gc = gcFunction();

interface Timing {
  min: number;
  median: number;
  /** Least CPU time of a run (all threads, GC included): what a busy machine changes least. */
  cpu: number;
}

/**
 * Wall time of `reps` runs after `warmup` runs, in ms. The minimum is the figure to compare: on a shared
 * machine the other runs mostly measure who else had the CPU; the median is printed beside it.
 */
function time(fn: () => unknown, reps: number, warmup = 2): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  let cpu = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { min: samples[0]!, median: samples[Math.floor(samples.length / 2)]!, cpu };
}

const per = (t: Timing, k: number): Timing => ({ min: t.min / k, median: t.median / k, cpu: t.cpu / k });
const show = (t: Timing, digits = 2, unit = "ms/MiB") =>
  `${t.min.toFixed(digits)} ${unit} (median ${t.median.toFixed(digits)}, cpu ${t.cpu.toFixed(digits)})`;

/** Full collections until the heap stops shrinking; array buffers are freed after a turn. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function indexOfLoop(text: string, patterns: readonly string[]): string {
  let out = text;
  for (const p of patterns) {
    if (out.indexOf(p) !== -1) out = out.replaceAll(p, SENSITIVE);
  }
  return out;
}

interface Row {
  label: string;
  value: string;
  note?: string;
}
function table(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => r.label.length));
  const v = Math.max(...rows.map((r) => r.value.length));
  for (const r of rows) console.log(`  ${r.label.padEnd(w)}  ${r.value.padStart(v)}  ${r.note ?? ""}`);
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

async function benchSecretCount(count: number, results: Map<number, Record<string, number>>): Promise<void> {
  const values = secrets(count, 1000 + count);
  const patterns = expandPatterns(collectPatterns(values));
  const text = logText(MiB, values, 42);
  const mib = text.length / MiB;

  // Memory first, on a quiet heap: what one redactor keeps after a collection.
  await settle();
  const before = memory();
  const redactor = createRedactor(values);
  redactor.redact("warm up the scratch buffer");
  await settle();
  const heap = memory() - before;

  // Build: the first build in the process also pays for JIT warm-up, so it is left out. Each phase starts
  // on a collected heap, so it does not pay for the garbage of the one before.
  await settle();
  const build = time(() => createRedactor(values), 7, 1);

  await settle();
  const ours = per(
    time(() => redactor.redact(text), 21),
    mib,
  );
  const out = redactor.redact(text);
  const markers = out.split(SENSITIVE).length - 1;

  const absent = "zQ9!absent-needle-\u0001";
  const floor = per(
    time(() => text.indexOf(absent), 41),
    mib,
  );

  const sampleSize = Math.min(patterns.length, 1500);
  const g = generator(7);
  const sample = Array.from({ length: sampleSize }, () => g.pick(patterns));
  const loop = per(
    time(() => indexOfLoop(text, sample), 3, 1),
    (mib * sampleSize) / patterns.length,
  );

  const t0 = performance.now();
  const ac = new AhoCorasick(patterns);
  const acBuild = performance.now() - t0;
  const acOut = (): string =>
    unionReplace(
      text,
      ac.search(text).map((m) => ({ start: m.start, end: m.end })),
    );
  const aho = per(time(acOut, 5, 1), mib);
  const agree = acOut() === out;

  await settle();
  const stream = per(await timeAsync(() => streamThrough(redactor, text, 64 * 1024), 7), mib);
  const streamed = (await streamThrough(redactor, text, 4096)) === out;

  results.set(count, {
    ours: ours.min,
    oursMedian: ours.median,
    floor: floor.min,
    floorMedian: floor.median,
    aho: aho.min,
    ahoMedian: aho.median,
    build: build.min,
    buildMedian: build.median,
    buildCpu: build.cpu,
    heap,
  });
  table(
    `${count.toLocaleString("en")} secrets, ${patterns.length.toLocaleString("en")} patterns, 1 MiB log`,
    [
      { label: "ours: redact", value: show(ours), note: `${markers} markers` },
      {
        label: "ours: stream, 64 KiB chunks",
        value: show(stream),
        note: `4 KiB chunks give the same output: ${streamed ? "yes" : "NO"}`,
      },
      {
        label: "(a) indexOf+replace per pattern",
        value: show(loop, 0),
        note: `scaled from ${sampleSize} patterns; ours is ${fmt(loop.min / ours.min, 0)}x faster`,
      },
      {
        label: "(b) modern-ahocorasick",
        value: show(aho),
        note: `ours is ${fmt(aho.min / ours.min, 1)}x faster; same output: ${agree ? "yes" : "NO"}`,
      },
      {
        label: "(c) indexOf, absent needle",
        value: show(floor, 3),
        note: `ours is ${fmt(ours.min / floor.min, 1)}x the floor`,
      },
      { label: "ours: build", value: show(build, 1, "ms"), note: `(b) builds in ${fmt(acBuild, 0)} ms` },
      {
        label: "ours: matcher memory",
        value: `${fmt(heap / MiB, 1)} MiB`,
        note: "heap + external, after GC",
      },
    ],
  );
}

async function streamThrough(redactor: Redactor, text: string, chunk: number): Promise<string> {
  const stream = redactor.createStream();
  const out: string[] = [];
  stream.on("data", (s: string) => out.push(s));
  const ended = new Promise((resolve) => stream.on("end", resolve));
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunk) stream.write(bytes.subarray(i, i + chunk));
  stream.end();
  await ended;
  return out.join("");
}

async function timeAsync(fn: () => Promise<unknown>, reps: number): Promise<Timing> {
  await fn();
  const samples: number[] = [];
  let cpu = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { min: samples[0]!, median: samples[Math.floor(samples.length / 2)]!, cpu };
}

function benchAdversarial(): void {
  const values = secrets(10_000, 11_000);
  const redactor = createRedactor(values);
  const oneLine = logText(10 * MiB, values, 43, " ");
  const big = per(
    time(() => redactor.redact(oneLine), 3, 1),
    oneLine.length / MiB,
  );
  const rows: Row[] = [{ label: "10 MiB single line, 10,000 secrets", value: show(big) }];
  const cases: [string, string, string[]][] = [
    [
      "10 MiB of 'a', values a×64, a×4096, a×60000",
      "a".repeat(10 * MiB),
      ["a".repeat(64), "a".repeat(4096), "a".repeat(60000)],
    ],
    ["10 MiB of 'ab', values (ab)×3000, (ba)×10", "ab".repeat(5 * MiB), ["ab".repeat(3000), "ba".repeat(10)]],
    ["10 MiB of 'a', value aaaa (short tier)", "a".repeat(10 * MiB), ["aaaa"]],
  ];
  for (const [label, text, vals] of cases) {
    const r = createRedactor(vals);
    rows.push({
      label,
      value: show(
        per(
          time(() => r.redact(text), 3, 1),
          10,
        ),
      ),
    });
  }
  table("Adversarial inputs (linear time expected)", rows);
}

const results = new Map<number, Record<string, number>>();
const started = performance.now();
await benchSecretCount(1_000, results);
await benchSecretCount(10_000, results);
benchAdversarial();

/**
 * A run's redactor also holds the kept previous versions of each secret (decision 0132): with every secret
 * rotated twice, the value list and the pattern count triple. Build time and throughput of that set.
 */
async function benchPreviousVersions(): Promise<void> {
  const current = secrets(10_000, 11_000);
  const values = [...current, ...secrets(10_000, 21_000), ...secrets(10_000, 31_000)];
  const patterns = expandPatterns(collectPatterns(values)).length;
  const single = expandPatterns(collectPatterns(current)).length;
  await settle();
  const build = time(() => createRedactor(values), 5, 1);
  const redactor = createRedactor(values);
  const text = logText(MiB, current, 42);
  await settle();
  const ours = per(
    time(() => redactor.redact(text), 11),
    text.length / MiB,
  );
  table(
    `10,000 secrets with 2 previous versions each (30,000 values, ${patterns.toLocaleString("en")} patterns)`,
    [
      { label: "patterns against current values only", value: `${fmt(patterns / single, 2)}x` },
      { label: "ours: build", value: show(build, 1, "ms") },
      { label: "ours: redact", value: show(ours) },
    ],
  );
}

await benchPreviousVersions();

const r = results.get(10_000)!;
const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
table("Targets at 10,000 secrets (best runs; medians in brackets)", [
  {
    label: "10x faster than (b)",
    value: `${fmt(r.aho! / r.ours!, 1)}x (${fmt(r.ahoMedian! / r.oursMedian!, 1)}x)`,
    note: verdict(r.aho! / r.ours! >= 10),
  },
  {
    label: "within 10x of (c)",
    value: `${fmt(r.ours! / r.floor!, 1)}x (${fmt(r.oursMedian! / r.floorMedian!, 1)}x)`,
    note: verdict(r.ours! / r.floor! <= 10),
  },
  {
    label: "build <= 100 ms",
    value: `${fmt(r.build!, 1)} ms (${fmt(r.buildMedian!, 1)} ms; cpu ${fmt(r.buildCpu!, 1)} ms)`,
    note: verdict(r.build! <= 100),
  },
  { label: "matcher < 50 MB", value: `${fmt(r.heap! / 1e6, 1)} MB`, note: verdict(r.heap! < 50e6) },
]);
console.log(`\n(total ${fmt((performance.now() - started) / 1000, 1)} s; node ${process.version})`);

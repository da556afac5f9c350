#!/usr/bin/env node
/**
 * Runs benchmarks in two built checkouts, alternately, and compares their headline figures.
 *
 *   node bench/compare-revisions.mjs --old /path/to/old --new . --runs 3 api webhook logic
 *
 * Each checkout must be built (`npx tsc -p tsconfig.json && node scripts/bundle.mjs`; the console bench
 * also needs `npm run build:console`). For each bench the runs go old, new, old, new... (`--runs` pairs),
 * so a change in the machine's load falls on both sides; each figure is then the median of its runs.
 *
 * Figures come from each bench's human output (the parsers below read what the benches print, in the
 * layouts of both revisions), plus any line `RESULT name=value [better=lower|higher] [kind=ratio|absolute]`
 * a bench prints. A **ratio** figure is two measurements of the same run (Cloakroom against a floor, with
 * secrets against without): it is what compares across revisions on a loaded machine. An **absolute**
 * figure (ms, req/s, MiB) moves with the load and is shown so a change that slows both sides of a ratio
 * alike is not hidden.
 *
 * Options: --old DIR, --new DIR (default: the current directory), --runs N (pairs, default 3),
 * --out DIR (keeps every run's output; default a temporary directory), --reparse DIR (parses the outputs
 * kept by an earlier --out instead of running), --markdown (prints the table as Markdown),
 * --timeout S (per run, default 900), --kind ratio|absolute (prints only figures of that kind). TEST_DATABASE_URL passes through to the benches (PostgreSQL rows,
 * and cluster and faults need it).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const TOLERANCE = 0.05;

/** A figure a parser found: a number, which way is better, and whether it is a ratio within one run. */
const fig = (name, value, better, kind = "ratio") => ({ name, value, better, kind });
const num = (s) => Number(String(s).replace(/[^0-9.eE+-]/g, ""));
const cells = (line) => line.trim().split(/\s{2,}/);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** One parser per bench: its printed text in, its figures out. Each reads both revisions' layouts. */
const parsers = {
  api(text) {
    const out = [];
    for (const line of text.split("\n")) {
      const c = cells(line);
      if (!/^(sqlite|postgres)$/.test(c[0] ?? "") || c.length < 7) continue;
      const [db, op, rps, p99, bare, ratio] = c;
      out.push(fig(`${db} ${op}: req/s over bare Fastify`, num(ratio), "higher"));
      out.push(fig(`${db} ${op}: req/s`, num(rps), "higher", "absolute"));
      out.push(fig(`${db} ${op}: p99 ms`, num(p99), "lower", "absolute"));
      void bare;
    }
    return out;
  },
  webhook(text) {
    const out = [];
    for (const line of text.split("\n")) {
      const c = cells(line);
      if (c.length < 4 || !/^(attempt|test endpoint)/.test(c[0])) continue;
      const level = c[0].startsWith("attempt") ? "attempt" : "test endpoint";
      out.push(fig(`${level}: 5 secrets over none`, num(c[3]), "lower"));
      out.push(fig(`${level}: ms, no secrets`, num(c[1]), "lower", "absolute"));
      out.push(fig(`${level}: ms, 5 secrets`, num(c[2]), "lower", "absolute"));
    }
    return out;
  },
  logic(text) {
    const out = [];
    let section = "";
    for (const line of text.split("\n")) {
      if (line.startsWith("In-process engine")) section = "engine";
      else if (line.startsWith("Through the pool")) section = "pool";
      const c = cells(line);
      if (section === "engine" && c.length === 3 && /^[\d.]+$/.test(c[1]) && /^[\d.]+$/.test(c[2])) {
        out.push(fig(`engine ${c[0]}: µs per run`, num(c[1]), "lower", "absolute"));
        if (c[0] !== "empty runtime+context") out.push(fig(`engine ${c[0]}: x empty`, num(c[2]), "lower"));
      }
      const p = line.trim().split(/\s+/);
      if (section === "pool" && p.length === 7 && p.every((x) => /^[\d.]+$/.test(x))) {
        out.push(fig(`pool, ${p[0]} at once: empty/s over trivial/s`, num(p[3]), "lower"));
        out.push(fig(`pool, ${p[0]} at once: trivial runs/s`, num(p[2]), "higher", "absolute"));
      }
    }
    return out;
  },
  redaction(text) {
    const out = [];
    const at = text.indexOf("Targets at 10,000 secrets");
    if (at < 0) return out;
    for (const line of text.slice(at).split("\n")) {
      const c = cells(line);
      const inBrackets = /\(([\d.]+)\s*(x|ms)/.exec(c[1] ?? "");
      if (c[0] === "10x faster than (b)" && inBrackets)
        out.push(
          fig("10,000 secrets: modern-ahocorasick time over ours (median)", num(inBrackets[1]), "higher"),
        );
      if (c[0] === "within 10x of (c)" && inBrackets)
        out.push(fig("10,000 secrets: ours over indexOf floor (median)", num(inBrackets[1]), "lower"));
      if (c[0] === "build <= 100 ms" && inBrackets)
        out.push(fig("10,000 secrets: build ms (median)", num(inBrackets[1]), "lower", "absolute"));
      if (c[0] === "matcher < 50 MB")
        out.push(fig("10,000 secrets: matcher MB", num(c[1]), "lower", "absolute"));
    }
    return out;
  },
  startup(text) {
    // Three layouts: median, ratio, RSS (9a97f17); min, median, ratio, RSS; and min / median, ratio min /
    // median, CPU ms, CPU ratio min / median, RSS (the code cache's). The wall ratio is the median one.
    const out = [];
    for (const line of text.split("\n")) {
      const m = /^(\S.*?)\s{2,}([\d.]+(?:\s+(?:\/\s+)?[\d.]+){2,7})\s*$/.exec(line);
      if (!m) continue;
      const n = m[2]
        .split(/[\s/]+/)
        .filter(Boolean)
        .map(Number);
      const [ms, ratio, cpuRatio] = n.length === 8 ? [n[1], n[3], n[6]] : [n.at(-3), n.at(-2), undefined];
      const label = m[1].trim();
      if (label !== "bare node:http") {
        out.push(fig(`${label}: wall over bare node:http`, ratio, "lower"));
        if (cpuRatio !== undefined) out.push(fig(`${label}: CPU over bare node:http`, cpuRatio, "lower"));
      }
      out.push(fig(`${label}: median ms to healthy`, ms, "lower", "absolute"));
      out.push(fig(`${label}: idle RSS MiB`, n.at(-1), "lower", "absolute"));
    }
    return out;
  },
  fanout(text) {
    const out = [];
    for (const line of text.split("\n")) {
      const c = cells(line);
      if (c.length < 8 || !/^\d+ ms$/.test(c[0]) || !/%$/.test(c[7])) continue;
      const key = `${c[0]} target, ${c[1]}, ${c[2]}`;
      out.push(fig(`${key}: fan-out over raw undici`, num(c[7]), "higher"));
      out.push(fig(`${key}: CPU ms per delivery`, num(c[6].split("/")[1]), "lower", "absolute"));
    }
    return out;
  },
  fairness(text) {
    const out = [];
    let db = "";
    let table = "";
    for (const line of text.split("\n")) {
      const head = /^(\w+): (A alone|one claim)/.exec(line);
      if (head) {
        db = head[1];
        table = head[2] === "A alone" ? "flood" : "claim";
        const alone = /median of \d+: ([\d.]+) ms/.exec(line);
        if (alone) out.push(fig(`${db}: A alone, ms`, num(alone[1]), "lower", "absolute"));
        continue;
      }
      const p = line.trim().split(/\s+/);
      if (table === "flood" && p.length === 4 && p[2] === "ms" && /x$/.test(p[3])) {
        out.push(fig(`${db}: A while B floods ${p[0]}, over A alone`, num(p[3]), "lower"));
        out.push(fig(`${db}: A while B floods ${p[0]}, ms`, num(p[1]), "lower", "absolute"));
      }
      if (table === "claim" && p.length === 7 && p[1] === "(10)") {
        out.push(fig(`${db}: claim from ${p[0]} due, in turns over due order`, num(p[4]), "lower"));
        out.push(fig(`${db}: claim from ${p[0]} due, big one at share over due order`, num(p[6]), "lower"));
        out.push(fig(`${db}: claim from ${p[0]} due, due order ms`, num(p[2]), "lower", "absolute"));
      }
    }
    return out;
  },
  faults(text) {
    const out = [];
    const ratio = /frozen \/ killed \(medians\): ([\d.]+)x/.exec(text);
    if (ratio) out.push(fig("frozen over killed (medians)", num(ratio[1]), "lower"));
    for (const [what, re] of [
      ["killed", /node A killed \(SIGKILL\):\s+runs delivered by node B after ([\d., ]+) s/],
      ["frozen", /node A frozen \(no bytes\): runs delivered by node B after ([\d., ]+) s/],
    ]) {
      const m = re.exec(text);
      if (m)
        out.push(
          fig(
            `node A ${what}: s until node B delivered`,
            median(m[1].split(",").map(num)),
            "lower",
            "absolute",
          ),
        );
    }
    return out;
  },
  cluster(text) {
    const out = [];
    const re =
      /^(\d+) node\(s\): ([\d.]+) events\/s \(x([\d.]+)\), node CPU ([\d.]+) ms\/event, PostgreSQL CPU ([\d.]+) ms\/event, ([\d.]+) commits\/event/gm;
    for (const m of text.matchAll(re)) {
      if (m[1] !== "1") out.push(fig(`${m[1]} nodes: events/s over 1 node`, num(m[3]), "higher"));
      out.push(fig(`${m[1]} node(s): events/s`, num(m[2]), "higher", "absolute"));
      out.push(fig(`${m[1]} node(s): node CPU ms per event`, num(m[4]), "lower", "absolute"));
      out.push(fig(`${m[1]} node(s): commits per event`, num(m[6]), "lower", "absolute"));
    }
    return out;
  },
  console(text) {
    const out = [];
    const js = /initial JavaScript \(gzip -9\): ([\d.]+) KB/.exec(text);
    if (js) out.push(fig("initial JavaScript KB (gzip -9)", num(js[1]), "lower", "absolute"));
    for (const m of text.matchAll(/^list \?(.+?): .* ratio ([\d.]+)x/gm))
      out.push(fig(`list ?${m[1]}: large over small`, num(m[2]), "lower"));
    const ui = /usable in Chromium.*?: \d+ secrets (\d+) ms, \d+ secrets (\d+) ms.*ratio ([\d.]+)x/.exec(
      text,
    );
    if (ui) {
      out.push(fig("Chromium: large list over small", num(ui[3]), "lower"));
      out.push(fig("Chromium: large list usable, ms", num(ui[2]), "lower", "absolute"));
    }
    return out;
  },
};

/** `RESULT name=value [better=lower|higher] [kind=ratio|absolute]` lines, for benches that print them. */
function resultLines(text) {
  const out = [];
  for (const m of text.matchAll(/^RESULT (\S+)=(-?[\d.eE+-]+)(.*)$/gm)) {
    const better = /better=higher/.test(m[3]) ? "higher" : "lower";
    const kind = /kind=absolute/.test(m[3]) ? "absolute" : "ratio";
    out.push(fig(m[1], Number(m[2]), better, kind));
  }
  return out;
}

function parse(bench, text) {
  const found = [...(parsers[bench]?.(text) ?? []), ...resultLines(text)];
  const byName = new Map();
  for (const f of found) if (Number.isFinite(f.value) && !byName.has(f.name)) byName.set(f.name, f);
  return [...byName.values()];
}

function runOnce(dir, bench, timeoutS) {
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--expose-gc", `dist/bench/${bench}.bench.js`], {
      cwd: dir,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.stderr.on("data", (d) => (text += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ text, ok: code === 0, status: signal ?? code, seconds: (performance.now() - started) / 1000 });
    });
  });
}

function args(argv) {
  const o = { old: "", new: ".", runs: 3, out: "", reparse: "", markdown: false, timeout: 900, benches: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--markdown") o.markdown = true;
    else if (a.startsWith("--")) o[a.slice(2)] = argv[++i];
    else o.benches.push(a);
  }
  o.runs = Number(o.runs);
  o.kind = o.kind ?? "";
  o.timeout = Number(o.timeout);
  return o;
}

const opts = args(process.argv.slice(2));
const sides = { old: resolve(opts.old || "."), new: resolve(opts.new) };
if (!opts.reparse && (!opts.old || opts.benches.length === 0)) {
  console.error("usage: node bench/compare-revisions.mjs --old DIR [--new DIR] [--runs N] BENCH...");
  process.exit(2);
}
const outDir = opts.reparse || opts.out || mkdtempSync(join(tmpdir(), "compare-revisions-"));
mkdirSync(outDir, { recursive: true });
const benches = opts.benches.length
  ? opts.benches
  : [
      ...new Set(
        readdirSync(outDir)
          .map((f) => /^(.+)\.(old|new)\.\d+\.txt$/.exec(f)?.[1])
          .filter(Boolean),
      ),
    ];

const log = (s) => process.stderr.write(`${s}\n`);
const rows = [];
const loads = [];
for (const bench of benches) {
  const results = { old: [], new: [] };
  for (let i = 0; i < (opts.reparse ? Number.POSITIVE_INFINITY : opts.runs); i++) {
    for (const side of ["old", "new"]) {
      const file = join(outDir, `${bench}.${side}.${i}.txt`);
      let text;
      if (opts.reparse) {
        if (!existsSync(file)) continue;
        text = readFileSync(file, "utf8");
      } else {
        if (!existsSync(join(sides[side], `dist/bench/${bench}.bench.js`))) {
          log(`${bench}: no dist/bench/${bench}.bench.js in ${sides[side]}`);
          continue;
        }
        const load = loadavg()[0];
        loads.push(load);
        const r = await runOnce(sides[side], bench, opts.timeout);
        text = r.text;
        writeFileSync(file, text);
        log(
          `${bench} ${side} #${i + 1}: ${r.ok ? "ok" : `FAILED (${r.status})`} in ${r.seconds.toFixed(0)} s, load ${load.toFixed(1)}`,
        );
        if (!r.ok) continue;
      }
      results[side].push(parse(bench, text));
    }
    if (opts.reparse && !existsSync(join(outDir, `${bench}.old.${i + 1}.txt`))) break;
  }
  const names = new Set([...results.old, ...results.new].flat().map((f) => f.name));
  for (const name of names) {
    const values = (side) =>
      results[side].flatMap((figs) => figs.filter((f) => f.name === name).map((f) => f.value));
    const [o, n] = [values("old"), values("new")];
    const meta = [...results.old, ...results.new].flat().find((f) => f.name === name);
    if (opts.kind && meta.kind !== opts.kind) continue;
    rows.push({ bench, name, kind: meta.kind, better: meta.better, old: o, new: n });
  }
}

function verdict(r) {
  if (r.old.length === 0) return "new only";
  if (r.new.length === 0) return "old only";
  const change = median(r.new) / median(r.old) - 1;
  if (Math.abs(change) <= TOLERANCE) return "within 5%";
  const better = r.better === "higher" ? change > 0 : change < 0;
  // Ranges that overlap: the runs do not tell the two apart, whatever the medians say.
  const overlap = Math.max(...r.old) >= Math.min(...r.new) && Math.max(...r.new) >= Math.min(...r.old);
  return `${better ? "better" : "worse"}${overlap ? " (ranges overlap)" : ""}`;
}

const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());
const range = (xs) =>
  xs.length ? `${fmt(median(xs))} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})` : "-";
const table = [
  ["bench", "figure", "kind", "old median (min-max)", "new median (min-max)", "change", "verdict"],
  ...rows.map((r) => [
    r.bench,
    r.name,
    `${r.kind}, ${r.better} is better`,
    range(r.old),
    range(r.new),
    r.old.length && r.new.length ? `${((median(r.new) / median(r.old) - 1) * 100).toFixed(1)}%` : "",
    verdict(r),
  ]),
];
if (opts.markdown) {
  const line = (c) => `| ${c.join(" | ")} |`;
  console.log(line(table[0]));
  console.log(line(table[0].map(() => "---")));
  for (const r of table.slice(1)) console.log(line(r));
} else {
  const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) console.log(r.map((c, i) => c.padEnd(w[i])).join("  "));
}
const runs = opts.reparse ? "reparsed" : `${opts.runs} runs a side, alternating old, new`;
const loadNote = loads.length
  ? `; 1-min load average at each start ${fmt(Math.min(...loads))} to ${fmt(Math.max(...loads))}`
  : "";
const where = opts.reparse ? "" : `old ${sides.old}, new ${sides.new}; `;
console.log(`\n${where}${runs}${loadNote}; outputs in ${outDir}`);

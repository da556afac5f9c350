/**
 * `cloakroom serve` cold start to a healthy /healthz, and its idle RSS, against a bare node:http server
 * started the same way in the same run (process spawn and module loading are most of a cold start). The
 * command runs the bundle (dist/server, scripts/bundle.mjs) through V8's code cache (bin/code-cache.js);
 * the same without the cache (deleted before that run: a first start after an install or upgrade) and the
 * unbundled compiled sources (dist/src) are measured beside it, so each one's share of the figure shows
 * (decisions 0164, 0275).
 *
 *   npm run build && node dist/bench/startup.bench.js
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { tempDir } from "../src/testing/databases.js";
import { cliInvocation } from "../src/testing/process.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function timeToHealthy(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m) resolve(m[0]);
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - started;
  const cpuMs = cpuTime(child.pid!);
  await new Promise((r) => setTimeout(r, 2000));
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const rssKb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  return { ms, cpuMs, rssMb: rssKb / 1024 };
}

/**
 * CPU time the process (all its threads) has had so far, from the scheduler (Linux): unlike wall time it
 * does not count the time spent waiting for a core, which on a shared machine is most of the wall time.
 */
function cpuTime(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
  }
  return ns / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const bareScript =
  "const s=require('node:http').createServer((q,r)=>r.end('{\"status\":\"ok\"}'));" +
  "s.listen(0,'127.0.0.1',()=>console.log('http://127.0.0.1:'+s.address().port))";

type Row = { ms: number[]; cpu: number[]; rss: number[] };
const row = (): Row => ({ ms: [], cpu: [], rss: [] });
const results: Record<string, Row> = {
  "bare node:http": row(),
  "cloakroom serve (first run)": row(),
  "cloakroom serve (existing data)": row(),
  "no code cache (existing data)": row(),
  "unbundled dist/src (existing data)": row(),
};
const record = (label: string, r: { ms: number; cpuMs: number; rssMb: number }) => {
  results[label]!.ms.push(r.ms);
  results[label]!.cpu.push(r.cpuMs);
  results[label]!.rss.push(r.rssMb);
};
const codeCache = "dist/server/main.cjs.v8cache";
const existing = tempDir();
const serve = (dir: string) => {
  const inv = cliInvocation(["serve", "--port", "0", "--data-dir", dir]);
  return timeToHealthy(inv.command, inv.args, inv.cwd, { CLOAKROOM_LOG_LEVEL: "warn" });
};
for (let i = 0; i < RUNS; i++) {
  record("bare node:http", await timeToHealthy(process.execPath, ["-e", bareScript], process.cwd(), {}));
  record("cloakroom serve (first run)", await serve(tempDir()));
  record("cloakroom serve (existing data)", await serve(existing));
  rmSync(codeCache, { force: true });
  record("no code cache (existing data)", await serve(existing));
  record(
    "unbundled dist/src (existing data)",
    await timeToHealthy(
      process.execPath,
      ["dist/src/cli/main.js", "serve", "--port", "0", "--data-dir", existing],
      process.cwd(),
      { CLOAKROOM_LOG_LEVEL: "warn" },
    ),
  );
}
// Each round's figure over the bare server's in the same round: min and median of those ratios.
const bare = results["bare node:http"]!;
const ratios = (xs: number[], base: number[]) => xs.map((x, i) => x / base[i]!);
const fixed = (x: number, digits = 0) => x.toFixed(digits);
console.log(
  "what                                 wall ms min/median  ratio min/median  CPU ms median  CPU ratio min/median  idle RSS MiB",
);
for (const [label, r] of Object.entries(results)) {
  const wall = ratios(r.ms, bare.ms);
  const cpu = ratios(r.cpu, bare.cpu);
  console.log(
    label.padEnd(37) +
      `${fixed(Math.min(...r.ms))} / ${fixed(median(r.ms))}`.padStart(19) +
      `${fixed(Math.min(...wall), 2)} / ${fixed(median(wall), 2)}`.padStart(18) +
      fixed(median(r.cpu)).padStart(15) +
      `${fixed(Math.min(...cpu), 2)} / ${fixed(median(cpu), 2)}`.padStart(22) +
      fixed(median(r.rss)).padStart(14),
  );
}
console.log(
  `\n${RUNS} rounds, each side once per round in this order; SQLite in a temporary data dir; the code cache ` +
    `is deleted before the "no code cache" start. Load average now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
);

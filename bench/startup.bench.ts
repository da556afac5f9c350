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
import { readFileSync, rmSync } from "node:fs";
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
  await new Promise((r) => setTimeout(r, 2000));
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const rssKb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  return { ms, rssMb: rssKb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const bareScript =
  "const s=require('node:http').createServer((q,r)=>r.end('{\"status\":\"ok\"}'));" +
  "s.listen(0,'127.0.0.1',()=>console.log('http://127.0.0.1:'+s.address().port))";

const results: Record<string, { ms: number[]; rss: number[] }> = {
  "bare node:http": { ms: [], rss: [] },
  "cloakroom serve (first run)": { ms: [], rss: [] },
  "cloakroom serve (existing data)": { ms: [], rss: [] },
  "no code cache (existing data)": { ms: [], rss: [] },
  "unbundled dist/src (existing data)": { ms: [], rss: [] },
};
const codeCache = "dist/server/main.cjs.v8cache";
const existing = tempDir();
for (let i = 0; i < RUNS; i++) {
  const bare = await timeToHealthy(process.execPath, ["-e", bareScript], process.cwd(), {});
  results["bare node:http"]!.ms.push(bare.ms);
  results["bare node:http"]!.rss.push(bare.rssMb);
  for (const [label, dir] of [
    ["cloakroom serve (first run)", tempDir()],
    ["cloakroom serve (existing data)", existing],
  ] as const) {
    const inv = cliInvocation(["serve", "--port", "0", "--data-dir", dir]);
    const r = await timeToHealthy(inv.command, inv.args, inv.cwd, { CLOAKROOM_LOG_LEVEL: "warn" });
    results[label]!.ms.push(r.ms);
    results[label]!.rss.push(r.rssMb);
  }
  rmSync(codeCache, { force: true });
  const inv = cliInvocation(["serve", "--port", "0", "--data-dir", existing]);
  const uncached = await timeToHealthy(inv.command, inv.args, inv.cwd, { CLOAKROOM_LOG_LEVEL: "warn" });
  results["no code cache (existing data)"]!.ms.push(uncached.ms);
  results["no code cache (existing data)"]!.rss.push(uncached.rssMb);
  const unbundled = await timeToHealthy(
    process.execPath,
    ["dist/src/cli/main.js", "serve", "--port", "0", "--data-dir", existing],
    process.cwd(),
    { CLOAKROOM_LOG_LEVEL: "warn" },
  );
  results["unbundled dist/src (existing data)"]!.ms.push(unbundled.ms);
  results["unbundled dist/src (existing data)"]!.rss.push(unbundled.rssMb);
}
const base = median(results["bare node:http"]!.ms);
console.log("what                                  min ms  median ms  ratio to bare (median)  idle RSS MiB");
for (const [label, r] of Object.entries(results)) {
  console.log(
    `${label.padEnd(36)}${Math.min(...r.ms)
      .toFixed(0)
      .padStart(
        8,
      )}${median(r.ms).toFixed(0).padStart(11)}${(median(r.ms) / base).toFixed(1).padStart(24)}${median(r.rss).toFixed(0).padStart(14)}`,
  );
}
console.log(
  `\n${RUNS} runs each, SQLite in a temporary data dir; load average now ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

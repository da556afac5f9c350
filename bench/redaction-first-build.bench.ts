/**
 * The first redactor build of a process (issue 13, decision 0355): what the first run of an organization
 * waits for after a restart. Each sample is a fresh process that builds 10,000 values of one set once,
 * either cold or after the build's warm-up (`startBuildWarmUp`, as `cloakroom serve` starts it a second
 * after listening); the two alternate, so a loaded machine slows both alike. A warm process's figure
 * (the third build of the same values, as the shapes bench measures it) is printed beside them.
 *
 *   npm run build && node dist/bench/redaction-first-build.bench.js [processes per side, 3]
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { createRedactor, startBuildWarmUp } from "../src/redaction/index.js";
import { SET_NAMES, secretSet } from "./redaction-shapes.js";
import { cpuMs, median } from "./support.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const values = (name: string) => secretSet(name, 10_000, { bench: 11_000, sets: 7 });

// A child: `--child <set> <cold|warm|steady>` prints one figure.
if (process.argv[2] === "--child") {
  const [, , , name, mode] = process.argv;
  const set = values(name!);
  if (mode === "warm") {
    // The warm-up's timers do not hold the process open; a server's socket does.
    const open = setInterval(() => {}, 1000);
    await new Promise<void>((resolve) => startBuildWarmUp({ delayMs: 0, onDone: resolve }));
    clearInterval(open);
  }
  let kept = mode === "steady" ? [createRedactor(set), createRedactor(set)] : [];
  const ms = cpuMs(() => kept.push(createRedactor(set)));
  kept = [];
  console.log(ms.toFixed(1));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const sample = (name: string, mode: string) =>
  Number(execFileSync(process.execPath, [self, "--child", name, mode], { encoding: "utf8" }).trim());

console.log(
  "First build of 10,000 values in a fresh process, CPU ms min / median of " +
    `${ROUNDS} processes a side (cold and warmed alternating); steady: the third build in one process\n`,
);
console.log(
  `${"set".padEnd(30)}${"cold".padStart(16)}${"after warm-up".padStart(18)}${"ratio".padStart(8)}${"steady".padStart(10)}`,
);
for (const name of SET_NAMES) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let r = 0; r < ROUNDS; r++)
    for (const mode of r % 2 ? ["warm", "cold"] : ["cold", "warm"])
      (mode === "cold" ? cold : warm).push(sample(name, mode));
  const steady = sample(name, "steady");
  const pair = (xs: number[]) => `${Math.min(...xs).toFixed(0)} / ${median(xs).toFixed(0)}`;
  console.log(
    name.padEnd(30) +
      pair(cold).padStart(16) +
      pair(warm).padStart(18) +
      (median(warm) / median(cold)).toFixed(2).padStart(8) +
      steady.toFixed(0).padStart(10),
  );
}
console.log(
  `\nnode ${process.version}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

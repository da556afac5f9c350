/**
 * Test support for the CLI's end-to-end tests: runs the real `cloakroom` command as a child process (from
 * the sources under tsx, or the compiled bin when the tests run from dist/), with a private HOME and config
 * file, and a clean environment so a developer's own CLOAKROOM_* settings never leak into a test.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { cliInvocation } from "./process.js";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  /** A private HOME and config file for one test user of the CLI. */
  home: string;
  configFile: string;
  env: Record<string, string>;
}

export function cliEnv(extra: Record<string, string> = {}): CliEnv {
  const home = mkdtempSync(join(tmpdir(), "cloakroom-cli-home-"));
  const configFile = join(home, ".config", "cloakroom", "config.json");
  return { home, configFile, env: { ...baseEnv(), HOME: home, CLOAKROOM_CONFIG: configFile, ...extra } };
}

/** The parent's environment without anything that configures Cloakroom. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key.startsWith("CLOAKROOM_") || key === "DATABASE_URL" || key === "NODE_OPTIONS") continue;
    env[key] = value;
  }
  return env;
}

export function runCloakroom(
  args: string[],
  options: { env: Record<string, string>; input?: string | Buffer; timeoutMs?: number },
): Promise<CliRun> {
  const inv = cliInvocation(args);
  return new Promise((resolve, reject) => {
    const child = spawn(inv.command, inv.args, {
      cwd: inv.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`cloakroom ${args.join(" ")} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits before reading its input closes the pipe: that is not the test's failure.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/**
 * The two ways a suite runs the CLI as the user `cli()` returns (read at each call, as suites make it in
 * `before`): `spawned` runs the real process, where the process boundary is the point (exit codes, stdin,
 * files); `run` runs the same CLI code in this process, to keep suites fast.
 */
export function cliRunners(cli: () => CliEnv) {
  return {
    spawned: (args: string[], input?: string) =>
      runCloakroom(args, { env: cli().env, ...(input ? { input } : {}) }),
    run: (args: string[], input?: string) =>
      runInProcess(args, { env: cli().env, ...(input ? { input } : {}) }),
  };
}

export interface RunningCli {
  /** Stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** The exit code, once the process has closed. */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts a long-running CLI command (a `--follow`) in the background, without input. */
export function startCloakroom(args: string[], options: { env: Record<string, string> }): RunningCli {
  const inv = cliInvocation(args);
  const child = spawn(inv.command, inv.args, {
    cwd: inv.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  return { output: () => out, exited, kill: (signal) => child.kill(signal) };
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing each answer once its prompt has been
 * printed, and returns everything the terminal showed. Resolves undefined when `script` is not available.
 */
export async function runOnTerminal(
  args: string[],
  options: { env: Record<string, string>; answers: { prompt: string; type: string }[]; timeoutMs?: number },
): Promise<CliRun | undefined> {
  const inv = cliInvocation(args);
  const command = [inv.command, ...inv.args].map(shellQuote).join(" ");
  const probe = await new Promise<boolean>((resolve) => {
    const p = spawn("script", ["--version"], { stdio: "ignore" });
    p.on("error", () => resolve(false));
    p.on("close", (code) => resolve(code === 0));
  });
  if (!probe) return undefined;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
      cwd: inv.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let next = 0;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`cloakroom ${args.join(" ")} on a terminal did not finish\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      const answer = options.answers[next];
      if (answer && stdout.includes(answer.prompt, searchFrom)) {
        searchFrom = stdout.indexOf(answer.prompt, searchFrom) + answer.prompt.length;
        next += 1;
        child.stdin.write(answer.type);
      }
    });
    let searchFrom = 0;
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    child.stdin.on("error", () => undefined);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** A PostgreSQL URL that puts a child process in the test's schema (the `options` connection parameter). */
export function databaseUrlFor(config: { databaseUrl?: string; pgSchema?: string }): string | undefined {
  if (!config.databaseUrl) return undefined;
  if (!config.pgSchema) return config.databaseUrl;
  const sep = config.databaseUrl.includes("?") ? "&" : "?";
  return `${config.databaseUrl}${sep}options=${encodeURIComponent(`-c search_path=${config.pgSchema}`)}`;
}

/**
 * Runs the CLI in this process (same code path after argv parsing, no process start-up): for the many
 * small steps of a scenario, while the steps whose point is the process boundary (exit codes, stdin,
 * terminals, files) spawn the real command.
 */
export async function runInProcess(
  args: string[],
  options: { env: Record<string, string>; input?: string },
): Promise<CliRun> {
  const { runCli } = await import("../cli/program.js");
  const stdin = new PassThrough();
  stdin.end(options.input ?? "");
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await runCli(args, {
    stdin,
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env: options.env,
  });
  return { code, stdout, stderr };
}

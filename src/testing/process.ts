/**
 * Spawns the real `cloakroom` command for end-to-end tests: from the TypeScript sources under tsx while
 * developing, from the compiled bin in CI (tests run from dist/ there).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const fromSources = import.meta.url.endsWith(".ts");
const repoRoot = fileURLToPath(new URL(fromSources ? "../../" : "../../../", import.meta.url));

export function cliInvocation(args: string[]): { command: string; args: string[]; cwd: string } {
  const entry = fromSources ? ["--import", "tsx", "src/cli/main.ts"] : ["bin/cloakroom.js"];
  return { command: process.execPath, args: [...entry, ...args], cwd: repoRoot };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Ends it with SIGTERM (or the given signal) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `cloakroom serve` and resolves once it prints the URL it listens on. */
export function startServerProcess(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<ServerProcess> {
  const inv = cliInvocation(["serve", "--host", "127.0.0.1", "--port", "0", ...args]);
  const child = spawn(inv.command, inv.args, {
    cwd: inv.cwd,
    env: { ...process.env, CLOAKROOM_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(/https?:\/\/127\.0\.0\.1:\d+/);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.on("data", (c: Buffer) => {
          out += c.toString();
        });
        resolve({
          child,
          url: match[0],
          output: () => out,
          async stop(signal = "SIGTERM") {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}

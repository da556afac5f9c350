/** Files and JSON the commands read: bounded, and never quoted back in a message (it may hold a value). */
import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { CliError } from "./io.js";

/** Larger than the server's 64 KiB so the server, not the CLI, names the limit; small enough to be safe. */
export const READ_LIMIT = 1024 * 1024;

/** `--org`, `--project` and `--json`, the flags of every command on a project's consumers and events. */
export function withProject(cmd: Command): Command {
  return cmd
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--project <slug>", "project (default: CLOAKROOM_PROJECT)")
    .option("--json", "print the API's JSON");
}

/** A regular file of at most READ_LIMIT bytes; `what` names it in messages ("data file"). */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new CliError(`${path} is not a regular file`);
    if (st.size > READ_LIMIT) throw new CliError(`${path} is larger than ${READ_LIMIT} bytes`);
    return await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${where} is not valid JSON`);
  }
}

/** An event's data from `--data` or `--data-file` (not both); undefined when neither is given. */
export async function eventData(flags: { data?: string; dataFile?: string }): Promise<unknown> {
  if (flags.data !== undefined && flags.dataFile !== undefined)
    throw new CliError("pass --data or --data-file, not both");
  if (flags.data !== undefined) return parseJson(flags.data, "--data");
  if (flags.dataFile !== undefined)
    return parseJson(await readTextFile(flags.dataFile, "data file"), flags.dataFile);
  return undefined;
}

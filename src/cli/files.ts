/** Files and JSON the commands read: bounded, and never quoted back in a message (it may hold a value). */
import { readFile, stat } from "node:fs/promises";
import { CliError } from "./io.js";

/** Larger than the server's 64 KiB so the server, not the CLI, names the limit; small enough to be safe. */
export const READ_LIMIT = 1024 * 1024;

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

/** A JSON object from a file: a definition (`--file`) in the API's shape. */
export async function readJsonObjectFile(path: string, what: string): Promise<Record<string, unknown>> {
  return parseJsonObject(await readTextFile(path, what), `the file ${path}`);
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

/** JSON.parse's own messages quote the input; these never do. */
export function parseJsonObject(text: string, where: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new CliError(`${where} is not valid JSON${position ? ` (error at character ${position})` : ""}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CliError(`${where} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

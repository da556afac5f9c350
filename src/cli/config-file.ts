/**
 * The CLI's saved session: server URL, token and default organization, in `$CLOAKROOM_CONFIG` or
 * `~/.config/cloakroom/config.json` (`$XDG_CONFIG_HOME/cloakroom/config.json` when that is set).
 * The file holds a bearer token, so it is written with mode 0600 in a 0700 directory, atomically.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CliError } from "./io.js";

export interface SavedConfig {
  url?: string;
  token?: string;
  /** Default organization for commands without --org. */
  org?: string;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.CLOAKROOM_CONFIG) return resolve(env.CLOAKROOM_CONFIG);
  const base = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(env.HOME || homedir(), ".config");
  return join(base, "cloakroom", "config.json");
}

export async function readConfig(path: string): Promise<SavedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The file holds a token: never quote it in a message.
    throw new CliError(`${path} is not valid JSON; fix or delete it, then run \`cloakroom login\``);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CliError(`${path} does not hold a JSON object; fix or delete it`);
  }
  const raw = parsed as Record<string, unknown>;
  const out: SavedConfig = {};
  if (typeof raw.url === "string") out.url = raw.url;
  if (typeof raw.token === "string") out.token = raw.token;
  if (typeof raw.org === "string") out.org = raw.org;
  return out;
}

/** Replaces the file: write a temporary file (0600) beside it, fsync, rename over. */
export async function writeConfig(path: string, config: SavedConfig): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.config.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.chmod(0o600); // the umask may have narrowed it; make it exactly owner read/write
    await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`, "utf8");
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

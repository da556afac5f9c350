import { randomBytes } from "node:crypto";
import { type FileHandle, link, mkdir, open, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AppError } from "../errors.js";
import { encodeRootKey, generateRootKey, parseRootKey, type RootKey } from "./keys.js";

// The barrier's only I/O: the root key comes from the environment or a file, never from the database.

export const ROOT_KEY_ENV = "CLOAKROOM_ROOT_KEY";
export const ROOT_KEY_FILE = "root.key";

export interface LoadedRootKey {
  rootKey: RootKey;
  source: "env" | "file";
  created: boolean;
  /** For the caller to log; none of them contains key material. */
  warnings: string[];
}

/**
 * `envValue` wins when it is set, even to an empty string: an empty variable is a deployment mistake
 * (an unset `${KEY}` in a compose file), and falling back to a fresh key file would hide it.
 */
export async function loadRootKey(opts: {
  envValue: string | undefined;
  dataDir: string;
  createIfMissing: boolean;
}): Promise<LoadedRootKey> {
  const path = join(opts.dataDir, ROOT_KEY_FILE);
  const warnings: string[] = [];
  if (opts.envValue !== undefined) {
    const rootKey = parseRootKey(opts.envValue, ROOT_KEY_ENV);
    if (await exists(path)) {
      warnings.push(`${ROOT_KEY_ENV} is set, so the key file ${path} is ignored`);
    }
    return { rootKey, source: "env", created: false, warnings };
  }
  const existing = await readKeyFile(path, warnings);
  if (existing !== undefined) return { rootKey: existing, source: "file", created: false, warnings };
  if (!opts.createIfMissing) {
    throw new AppError("invalid_request", `no root key: set ${ROOT_KEY_ENV} or create the key file ${path}`, {
      source: path,
    });
  }
  const created = await createKeyFile(path);
  if (created !== undefined) {
    warnings.push(
      `created a new root key in ${path}; keep a copy of it (without it nothing stored can be decrypted), ` +
        `and in production pass the key in ${ROOT_KEY_ENV} instead of keeping it beside the data`,
    );
    return { rootKey: created, source: "file", created: true, warnings };
  }
  // Another process created the file between our read and our link: use its key.
  const winner = await readKeyFile(path, warnings);
  if (winner === undefined) throw new AppError("internal", `the key file ${path} vanished while starting`);
  return { rootKey: winner, source: "file", created: false, warnings };
}

async function readKeyFile(path: string, warnings: string[]): Promise<RootKey | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return undefined;
    throw new AppError(
      "invalid_request",
      `cannot read the root key file ${path} (${errnoOf(err) ?? "error"})`,
      {
        source: path,
      },
    );
  }
  try {
    // fstat on the open handle: the file checked is the file read.
    const st = await handle.stat();
    if (!st.isFile()) {
      throw new AppError("invalid_request", `the root key file ${path} is not a regular file`);
    }
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
      warnings.push(
        `the root key file ${path} is accessible to group or others (mode ${mode}); run: chmod 600 ${path}`,
      );
    }
    return parseRootKey(await handle.readFile("utf8"), path);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a complete temporary file, then hard-links it into place: link() never replaces an existing file,
 * so of several processes starting at once exactly one wins and the others read its key, and nobody ever
 * sees a half-written key file. Returns undefined when another process won.
 */
async function createKeyFile(path: string): Promise<RootKey | undefined> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const rootKey = generateRootKey();
  const content = `${encodeRootKey(rootKey)}\n`;
  const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await writeNew(temp, content);
  try {
    await link(temp, path);
  } catch (err) {
    const code = errnoOf(err);
    if (code === "EEXIST") return undefined;
    // File systems without hard links: exclusive create, the same "one winner" rule, not quite as atomic.
    if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS" || code === "EXDEV") {
      try {
        await writeNew(path, content);
      } catch (err2) {
        if (errnoOf(err2) === "EEXIST") return undefined;
        throw err2;
      }
    } else {
      throw err;
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncDirectory(dirname(path));
  return rootKey;
}

/** Exclusive create with mode exactly 0600, content fsynced; fails when the file exists. */
export async function writeNew(path: string, content: string): Promise<void> {
  const handle = await open(path, "wx", 0o600);
  try {
    await handle.chmod(0o600); // the umask may have narrowed the mode; make it exactly owner read/write
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a file's creation or rename durable: fsync of its directory (where the platform allows it). */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can fsync a directory; the key file itself is already on disk.
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}

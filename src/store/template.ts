/**
 * A new embedded database starts as a copy of a template: an empty database that the build migrated
 * (`scripts/bundle.mjs` writes `dist/server/template.db`). Creating and migrating a new file was all that
 * a first start did more than a later one (20 to 40 ms); a copy costs about a millisecond (decision 0395).
 * The copy is the migrations' own result, taken earlier: no second description of the schema. Its tables
 * are empty but for the migrations' bookkeeping, whose `applied_at` is the build's time.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The built template: beside the bundle (`dist/server/main.cjs`), and found from the compiled sources
 * (`dist/src/store/`) or the TypeScript ones (`src/store/`, under tsx) where the build puts it. Null
 * before a build, or when it could not write one.
 */
export function findTemplate(): string | null {
  const here = import.meta.url;
  const path = here.endsWith(".cjs")
    ? "./template.db"
    : here.endsWith(".ts")
      ? "../../dist/server/template.db"
      : "../../server/template.db";
  const file = fileURLToPath(new URL(path, here));
  return existsSync(file) ? file : null;
}

/**
 * Creates `file` as a copy of `template` when no database is there yet (nor a write-ahead log, which
 * SQLite would replay onto the copy). Returns whether it did.
 *
 * The copy is written owner-only under a name of its own and synced, then linked to `file`: a link never
 * replaces a file, so of two nodes starting at once the second finds the first one's database and uses
 * it. Whatever stops the copy (no template to read, a directory that refuses the file, a file system
 * without hard links, another node's database already there) leaves `file` to be created or opened, and
 * migrated, as without a template.
 */
export function seedFromTemplate(file: string, template: string | null): boolean {
  if (!template || existsSync(file) || existsSync(`${file}-wal`)) return false;
  const partial = `${file}.${process.pid}.${Date.now()}.new`;
  try {
    const bytes = readFileSync(template);
    const fd = openSync(partial, "wx", 0o600);
    try {
      writeFileSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(partial, file);
  } catch {
    return false;
  } finally {
    rmSync(partial, { force: true });
  }
  syncDirectory(dirname(file));
  return true;
}

/**
 * The new name survives power loss only once its directory is synced. Best effort, as SQLite's own
 * creation of a database file: a file system that cannot sync a directory still has the file.
 */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // The name is in place; only its durability across a power cut is left to the file system.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

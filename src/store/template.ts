/**
 * A new embedded database starts as a copy of a template: an empty database that the build migrated
 * (`scripts/bundle.mjs` writes `dist/server/template.db`). Migrating a new file at the first start costs
 * more than the rest of that start's difference from a later one; a copy costs about a millisecond
 * (decision 0395). The copy is the migrations' own result, taken earlier: no second description of the
 * schema. Its tables are empty but for the migrations' bookkeeping, whose `applied_at` is the build's time.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** The built template: beside the bundle, or under the repository when run from compiled sources. */
export function findTemplate(): string | null {
  for (const up of ["./template.db", "../../server/template.db", "../../dist/server/template.db"]) {
    const file = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Creates `file` as a copy of `template` when no database is there yet (nor a write-ahead log, which
 * SQLite would replay onto the copy). Returns whether it did.
 *
 * The copy is written owner-only under a name of its own and synced, then linked to `file`: a link never
 * replaces a file, so of two nodes starting at once the second finds the first one's database and uses
 * it. A template that cannot be read leaves `file` to be created and migrated as before.
 */
export function seedFromTemplate(file: string, template: string | null): boolean {
  if (!template || existsSync(file) || existsSync(`${file}-wal`)) return false;
  let bytes: Buffer;
  try {
    bytes = readFileSync(template);
  } catch {
    return false;
  }
  const partial = `${file}.${process.pid}.${Date.now()}.new`;
  const fd = openSync(partial, "wx", 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(partial, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    unlinkSync(partial);
  }
  syncDirectory(dirname(file));
  return true;
}

/** The new name survives power loss only once its directory is synced. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

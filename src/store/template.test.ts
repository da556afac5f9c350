/**
 * A new embedded database is a copy of the build's template (decision 0395): the same database a first
 * start made before, with nothing in it but the schema, and never a copy over a database that exists.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { installListText } from "../secrets/list-text.js";
import { tempDir } from "../testing/databases.js";
import { openStore } from "./db.js";
import { migrateToLatest, migrations } from "./migrations.js";
import { findTemplate, seedFromTemplate } from "./template.js";

const dirs: string[] = [];
const newDir = () => {
  const dir = tempDir("cloakroom-template-test-");
  dirs.push(dir);
  return dir;
};

/** What a first start without a template leaves in a new database: the migrations, then the triggers. */
async function migratedFromNothing(): Promise<string> {
  const dir = newDir();
  const store = await openStore({ dataDir: dir, template: null });
  await installListText(store);
  await store.close();
  return join(dir, "cloakroom.db");
}

function schemaOf(file: string) {
  const db = new SQLite(file, { readonly: true });
  try {
    return {
      objects: db.prepare("select type, name, tbl_name, sql from sqlite_master order by type, name").all(),
      journal: db.pragma("journal_mode", { simple: true }),
      userVersion: db.pragma("user_version", { simple: true }),
    };
  } finally {
    db.close();
  }
}

function rowCounts(file: string): Record<string, number> {
  const db = new SQLite(file, { readonly: true });
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as {
      name: string;
    }[];
    return Object.fromEntries(
      tables.map(({ name }) => [
        name,
        (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

async function appliedMigrations(dataDir: string): Promise<string[]> {
  const store = await openStore({ dataDir, template: null, migrate: false });
  try {
    const rows = await sql<{
      name: string;
    }>`select name from cloakroom_schema_migrations order by name`.execute(store.db);
    return rows.rows.map((r) => r.name);
  } finally {
    await store.close();
  }
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the template a new database is copied from", () => {
  it("is built, and holds the schema, the triggers and the log mode a first start made without it", async (t) => {
    const template = findTemplate();
    if (!template) return t.skip("no build: scripts/bundle.mjs writes dist/server/template.db");
    assert.deepEqual(schemaOf(template), schemaOf(await migratedFromNothing()));
    assert.equal(schemaOf(template).journal, "wal");
  });

  it("holds no row but the migrations' bookkeeping: no key, no user, no secret", (t) => {
    const template = findTemplate();
    if (!template) return t.skip("no build");
    const counts = rowCounts(template);
    assert.equal(counts.cloakroom_schema_migrations, Object.keys(migrations).length);
    const nonEmpty = Object.entries(counts).filter(
      ([name, n]) => n > 0 && name !== "cloakroom_schema_migrations",
    );
    assert.deepEqual(nonEmpty, []);
  });
});

describe("a new database from the template", () => {
  it("is a copy, owner-only, and answers as a migrated database", async () => {
    const template = await migratedFromNothing();
    const dataDir = newDir();
    const store = await openStore({ dataDir, template });
    await store.close();
    const file = join(dataDir, "cloakroom.db");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(schemaOf(file), schemaOf(template));
    assert.deepEqual(await appliedMigrations(dataDir), Object.keys(migrations).sort());
  });

  it("is never copied over a database that exists, nor beside a write-ahead log SQLite would replay", async () => {
    const template = await migratedFromNothing();
    const dataDir = newDir();
    const file = join(dataDir, "cloakroom.db");
    const store = await openStore({ dataDir, template: null });
    await sql`insert into meta (key, value) values ('kept', 'yes')`.execute(store.db);
    await store.close();
    const before = readFileSync(file);
    assert.equal(seedFromTemplate(file, template), false);
    assert.deepEqual(readFileSync(file), before);

    const orphan = join(newDir(), "cloakroom.db");
    writeFileSync(`${orphan}-wal`, "");
    assert.equal(seedFromTemplate(orphan, template), false);
    assert.equal(existsSync(orphan), false);
  });

  it("gets the migrations a template older than the code lacks", async () => {
    const names = Object.keys(migrations).sort();
    const older = Object.fromEntries(names.slice(0, -1).map((name) => [name, migrations[name]!]));
    const oldDir = newDir();
    const store = await openStore({ dataDir: oldDir, template: null, migrate: false });
    await migrateToLatest(store, older);
    await store.close();
    const template = join(newDir(), "old-template.db");
    copyFileSync(join(oldDir, "cloakroom.db"), template);

    const dataDir = newDir();
    await (await openStore({ dataDir, template })).close();
    assert.deepEqual(await appliedMigrations(dataDir), names);
  });

  it("without a readable template, is created and migrated as before", async () => {
    const dataDir = newDir();
    await (await openStore({ dataDir, template: join(dataDir, "missing.db") })).close();
    assert.deepEqual(await appliedMigrations(dataDir), Object.keys(migrations).sort());
  });

  it("is one database for nodes that start together on a new data dir: none copies over another's", async () => {
    const template = await migratedFromNothing();
    const dataDir = newDir();
    const db = fileURLToPath(new URL("./db.js", import.meta.url));
    // Each node opens the store, writes a row of its own, and closes: every row must be in the one file.
    const node = (i: number) =>
      new Promise<number | null>((resolve) => {
        const script = `const { openStore } = await import(${JSON.stringify(db)});
          const store = await openStore({ dataDir: ${JSON.stringify(dataDir)}, template: ${JSON.stringify(template)} });
          await store.db.insertInto("meta").values({ key: "node-${i}", value: "up" }).execute();
          await store.close();`;
        const tsx = import.meta.url.endsWith(".ts") ? ["--import", "tsx"] : [];
        const child = spawn(process.execPath, [...tsx, "--input-type=module", "-e", script], {
          stdio: "inherit",
        });
        child.on("exit", resolve);
      });
    const codes = await Promise.all([0, 1, 2, 3, 4, 5].map(node));
    assert.deepEqual(codes, [0, 0, 0, 0, 0, 0]);
    assert.equal(rowCounts(join(dataDir, "cloakroom.db")).meta, 6);
  });
});

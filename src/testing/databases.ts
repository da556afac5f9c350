/**
 * Test support: the same suite runs against SQLite (a temporary data dir) and PostgreSQL (a fresh schema
 * per run in TEST_DATABASE_URL). Without TEST_DATABASE_URL the PostgreSQL half is skipped locally; in CI
 * (CI=true) a missing URL is a failure, never a silent skip.
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openStore, type Store } from "../store/db.js";
import { newId } from "../store/ids.js";

export interface TestDatabase {
  name: "sqlite" | "postgres";
  /** Opens a fresh, migrated, empty store. */
  open(): Promise<TestStore>;
}

export interface TestStore extends Store {
  /** The settings a server process needs to open the same database. */
  config: { databaseUrl?: string; dataDir: string; pgSchema?: string };
  /** Closes and removes the database. */
  dispose(): Promise<void>;
}

export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [{ name: "sqlite", open: openSqliteTestStore }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push({ name: "postgres", open: () => openPostgresTestStore(url) });
  else if (process.env.CI === "true") throw new Error("TEST_DATABASE_URL must be set in CI");
  // One database only ("sqlite" or "postgres"): scripts/test-isolation.mjs runs a test alone on each in turn.
  const only = process.env.TEST_ONLY_DATABASE;
  return only ? list.filter((database) => database.name === only) : list;
}

/**
 * Inserts an organization (slug and name `o` unless `orgSlug` says otherwise; slugs are unique) and one of its
 * projects (slug `p`), for tests below the services.
 */
export async function seedProject(
  store: Store,
  ids: { orgId: string; projectId: string; orgSlug?: string },
): Promise<void> {
  const at = new Date().toISOString();
  const orgSlug = ids.orgSlug ?? "o";
  await store.db
    .insertInto("orgs")
    .values({
      id: ids.orgId,
      slug: orgSlug,
      name: orgSlug,
      naming_policy: "upper_snake",
      editors_manage_secrets: 0,
      versions_kept: 10,
      created_at: at,
    })
    .execute();
  await store.db
    .insertInto("projects")
    .values({ id: ids.projectId, org_id: ids.orgId, slug: "p", name: "p", created_at: at })
    .execute();
}

/**
 * A `secrets` metadata row: a restricted token at version 1, not archived, created and updated by `by` at
 * `at` (now by default), never read. Rows built this way have no versions (they carry no value).
 */
export function secretRow(row: {
  orgId: string;
  projectId: string | null;
  name: string;
  by: string;
  at?: string;
}) {
  const at = row.at ?? new Date().toISOString();
  return {
    id: newId(),
    org_id: row.orgId,
    project_id: row.projectId,
    name: row.name,
    name_key: row.name.toLowerCase(),
    type: "token" as const,
    visibility: "restricted" as const,
    description: "",
    current_version: 1,
    archived: 0,
    created_at: at,
    created_by: row.by,
    updated_at: at,
    updated_by: row.by,
    last_accessed_at: null,
    last_accessed_by: null,
  };
}

export function tempDir(prefix = "cloakroom-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

async function openSqliteTestStore(): Promise<TestStore> {
  const dataDir = tempDir();
  // Migrated from nothing, whether or not a build left a template (store/template.test.ts checks the two
  // agree): the store tests then run the migrations themselves.
  const store = await openStore({ dataDir, template: null });
  return {
    ...store,
    config: { dataDir },
    async dispose() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function openPostgresTestStore(url: string): Promise<TestStore> {
  const dataDir = tempDir();
  const pgSchema = `t_${randomBytes(6).toString("hex")}`;
  const store = await openStore({ databaseUrl: url, dataDir, pgSchema });
  return {
    ...store,
    config: { databaseUrl: url, dataDir, pgSchema },
    async dispose() {
      await store.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${pgSchema} cascade`);
      } finally {
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

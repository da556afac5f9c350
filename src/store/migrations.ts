/**
 * Schema migrations, run at start. Written once with Kysely's schema builder so the same DDL serves SQLite
 * and PostgreSQL. Append new migrations; never edit one that has shipped.
 */
import { type Kysely, type Migration, sql } from "kysely";
import { dropDerivedTriggers } from "./derived-triggers.js";
import type { Store } from "./types.js";

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await initialAccounts(db);
    await initialSecretsAndConsumers(db);
    await initialRunsAndAudit(db);
  },
};

/** Part of 0001_initial, shipped: its statements are only grouped into functions here, in their order. */
async function initialAccounts(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("orgs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("slug", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("naming_policy", "text", (c) => c.notNull())
    .addColumn("editors_manage_secrets", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("versions_kept", "integer", (c) => c.notNull().defaultTo(10))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("members")
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("members_pk", ["org_id", "user_id"])
    .execute();
  await db.schema.createIndex("members_user").on("members").column("user_id").execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("last_used_at", "text")
    .execute();

  await db.schema
    .createTable("projects")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
    .addColumn("slug", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("projects_org_slug", ["org_id", "slug"])
    .execute();

  await db.schema
    .createTable("data_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
    .addColumn("wrapped", "text", (c) => c.notNull())
    .addColumn("root_key_id", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("active", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("data_keys_org").on("data_keys").columns(["org_id", "active"]).execute();
}

/** Part of 0001_initial, shipped: its statements are only grouped into functions here, in their order. */
async function initialSecretsAndConsumers(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("secrets")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
    .addColumn("project_id", "text", (c) => c.references("projects.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("name_key", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("visibility", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("current_version", "integer", (c) => c.notNull())
    .addColumn("archived", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("updated_by", "text", (c) => c.notNull())
    .addColumn("last_accessed_at", "text")
    .addColumn("last_accessed_by", "text")
    .execute();
  // The database decides name uniqueness (STYLE.md): one name per scope, ignoring case.
  await db.schema
    .createIndex("secrets_scope_name")
    .on("secrets")
    .unique()
    .expression(sql`org_id, coalesce(project_id, ''), name_key`)
    .execute();

  await db.schema
    .createTable("secret_versions")
    .addColumn("secret_id", "text", (c) => c.notNull().references("secrets.id").onDelete("cascade"))
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("ciphertext", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("secret_versions_pk", ["secret_id", "version"])
    .execute();

  await db.schema
    .createTable("consumers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("config", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("consumers_project").on("consumers").columns(["project_id", "kind"]).execute();

  await db.schema
    .createTable("consumer_secrets")
    .addColumn("consumer_id", "text", (c) => c.notNull().references("consumers.id").onDelete("cascade"))
    .addColumn("secret_id", "text", (c) => c.notNull().references("secrets.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("consumer_secrets_pk", ["consumer_id", "secret_id"])
    .execute();
  await db.schema.createIndex("consumer_secrets_secret").on("consumer_secrets").column("secret_id").execute();
}

/** Part of 0001_initial, shipped: its statements are only grouped into functions here, in their order. */
async function initialRunsAndAudit(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addColumn("published_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("consumer_id", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_attempt_at", "text", (c) => c.notNull())
    .addColumn("locked_by", "text")
    .addColumn("locked_until", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("runs_due").on("runs").columns(["status", "next_attempt_at"]).execute();

  await db.schema
    .createTable("run_logs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("consumer_id", "text", (c) => c.notNull())
    .addColumn("run_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("entry", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("run_logs_project").on("run_logs").columns(["project_id", "id"]).execute();

  await db.schema
    .createTable("audit_log")
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("chain", "text", (c) => c.notNull())
    .addColumn("chain_seq", "integer", (c) => c.notNull())
    .addColumn("org_id", "text")
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("actor_type", "text", (c) => c.notNull())
    .addColumn("actor_id", "text")
    .addColumn("actor_name", "text")
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("target_type", "text")
    .addColumn("target_id", "text")
    .addColumn("target_name", "text")
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("source_ip", "text")
    .addColumn("details", "text", (c) => c.notNull())
    .addColumn("prev_hash", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("audit_log_pk", ["chain", "chain_seq"])
    .execute();
  await db.schema.createIndex("audit_log_org").on("audit_log").columns(["org_id", "id"]).execute();

  await db.schema
    .createTable("audit_heads")
    .addColumn("chain", "text", (c) => c.primaryKey())
    .addColumn("chain_seq", "integer", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .execute();
}

/**
 * Invitations (one-time, expiring, stored as a hash) replace setting another person's password; API tokens
 * remember the user who created them, so removing that member can revoke them (decisions 0120, 0121).
 */
const invitations: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("invitations")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
      .addColumn("email", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_by_user_id", "text")
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addUniqueConstraint("invitations_org_email", ["org_id", "email"])
      .execute();

    await db.schema.alterTable("api_tokens").addColumn("created_by_user_id", "text").execute();
    // created_by holds the creator's email for tokens made by a person (emails never change).
    await sql`update api_tokens set created_by_user_id =
      (select users.id from users where users.email = api_tokens.created_by)`.execute(db);
    await db.schema
      .createIndex("api_tokens_creator")
      .on("api_tokens")
      .columns(["org_id", "created_by_user_id"])
      .execute();
  },
};

/**
 * Keyed audit chain (A3): entries record how their hash was made, so the unkeyed entries of a database
 * from before stay verifiable while every new entry is an HMAC with the audit key.
 */
const auditFormat: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("audit_log")
      .addColumn("format", "integer", (c) => c.notNull().defaultTo(1))
      .execute();
  },
};

/** S12 and S11's second setting: a secret's allowed destination hosts, and who may compute with restricted ones. */
const allowedHostsAndComputeSetting: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("secrets")
      .addColumn("allowed_hosts", "text", (c) => c.notNull().defaultTo("[]"))
      .execute();
    await db.schema
      .alterTable("orgs")
      .addColumn("editors_compute_with_restricted", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  },
};

/**
 * Bytes of run-log entries stored per organization, kept beside the inserts so the quota is checked
 * without summing the table (docs/decisions/0137-run-log-bounds.md). Filled from the existing rows.
 */
const runLogUsage: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("run_log_usage")
      .addColumn("org_id", "text", (c) => c.primaryKey())
      .addColumn("bytes", "bigint", (c) => c.notNull())
      .execute();
    await sql`insert into run_log_usage (org_id, bytes)
      select org_id, sum(length(entry)) from run_logs group by org_id`.execute(db);
  },
};

/**
 * The lease-reclaim query (status = 'running' and locked_until <= now), which every node runs at each poll,
 * could use only the status half of runs_due and read every running row's next_attempt_at order; a partial
 * index holds just the running runs, by lease end (docs/decisions/0152-run-retention.md).
 */
const runsLeased: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create index runs_leased on runs (locked_until) where status = 'running'`.execute(db);
  },
};

/**
 * App installations (X8) are consumers keyed by name: the database decides that a name is taken once per
 * project, among installations only (integrations and functions may share names).
 */
const installations: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create unique index consumers_installation_name on consumers (project_id, name)
      where kind = 'installation'`.execute(db);
  },
};

/**
 * The Macro Manager lists the `event.data` keys of a project's recent events (SPEC X5): newest first per
 * project, read from an index instead of every event the project ever had.
 */
const templates: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex("events_project_recent")
      .on("events")
      .columns(["project_id", "published_at"])
      .execute();
  },
};

export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_invitations": invitations,
  "0003_allowed_hosts_and_compute_setting": allowedHostsAndComputeSetting,
  "0004_run_log_usage": runLogUsage,
  "0005_audit_format": auditFormat,
  "0007_runs_leased": runsLeased,
  "0009_installations": installations,
  "0010_templates": templates,
};

/** Any constant both sides agree on: the PostgreSQL advisory lock that serializes concurrent migrators. */
const MIGRATION_LOCK = 73_470_001;

/**
 * Applies the migrations (`all`) not yet recorded, in name order, in one transaction that records them.
 * Nodes starting together queue on a lock (PostgreSQL: advisory; SQLite: BEGIN IMMEDIATE).
 *
 * Not Kysely's Migrator: it looks for its bookkeeping tables by introspecting every schema of the
 * database, and that catalog query fails when another schema is dropped at the same moment (seen with
 * parallel test runs, each in a schema of its own).
 */
export async function migrateToLatest(
  store: Pick<Store, "dialect" | "transaction">,
  all: Record<string, Migration> = migrations,
): Promise<void> {
  let current = "(bookkeeping)";
  try {
    await store.transaction(async (tx) => {
      if (store.dialect === "postgres")
        await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(tx);
      await tx.schema
        .createTable("cloakroom_schema_migrations")
        .ifNotExists()
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("applied_at", "text", (c) => c.notNull())
        .execute();
      const done = await sql<{ name: string }>`select name from cloakroom_schema_migrations`.execute(tx);
      const applied = new Set(done.rows.map((r) => r.name));
      const pending = Object.keys(all).filter((name) => !applied.has(name));
      const db = tx as unknown as Kysely<unknown>;
      if (pending.length > 0 && store.dialect === "sqlite") await dropDerivedTriggers(db);
      for (const name of pending.sort()) {
        current = name;
        await all[name]!.up(db);
        await sql`insert into cloakroom_schema_migrations (name, applied_at) values (${name}, ${new Date().toISOString()})`.execute(
          tx,
        );
      }
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${current} failed: ${message}`, { cause: error });
  }
}

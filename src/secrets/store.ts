/** Data access of the secrets domain (Kysely; the same queries serve SQLite and PostgreSQL). */
import { type Selectable, sql } from "kysely";
import type { Dialect, Tx } from "../store/db.js";
import type { SecretsTable } from "../store/schema.js";
import type { ConsumerRef, Scope } from "./types.js";

export type SecretRow = Selectable<SecretsTable>;

export function secretsStore(dialect: Dialect) {
  return {
    /**
     * The secret of exactly this scope. `lock`: hold the row until the transaction ends, so concurrent
     * updates queue instead of failing their version check (SQLite's write transactions already exclude
     * each other).
     */
    async findInScope(tx: Tx, scope: Scope, key: string, lock = false): Promise<SecretRow | undefined> {
      let q = tx
        .selectFrom("secrets")
        .selectAll()
        .where("org_id", "=", scope.orgId)
        .where("name_key", "=", key);
      q =
        scope.projectId === null
          ? q.where("project_id", "is", null)
          : q.where("project_id", "=", scope.projectId);
      if (lock && dialect === "postgres") q = q.forUpdate();
      return q.executeTakeFirst();
    },

    /** Secrets of this scope; for a project also the organization's (the caller decides which wins). */
    async listVisible(tx: Tx, scope: Scope, names?: string[]): Promise<SecretRow[]> {
      let q = tx.selectFrom("secrets").selectAll().where("org_id", "=", scope.orgId);
      q =
        scope.projectId === null
          ? q.where("project_id", "is", null)
          : q.where((eb) => eb.or([eb("project_id", "is", null), eb("project_id", "=", scope.projectId)]));
      if (names) {
        if (names.length === 0) return [];
        q = q.where("name_key", "in", names);
      }
      return q.orderBy("name_key").execute();
    },

    /**
     * One page of a scope's list, in name order after `after` (a name key). The conditions repeat the
     * unique index's expression `(org_id, coalesce(project_id, ''), name_key)`, so each side is an index
     * range scan however many secrets the organization has. In a project, organization secrets that a
     * project secret of the same name overrides are left out.
     */
    async listPage(
      tx: Tx,
      scope: Scope,
      options: {
        archived: boolean;
        contains?: string | undefined;
        after?: string | undefined;
        limit: number;
      },
    ): Promise<SecretRow[]> {
      const side = (projectKey: string, hideOverridden: boolean) => {
        let q = tx
          .selectFrom("secrets as s")
          .selectAll("s")
          .where("s.org_id", "=", scope.orgId)
          .where(sql<string>`coalesce(s.project_id, '')`, "=", projectKey)
          .where("s.archived", "=", options.archived ? 1 : 0);
        if (options.after !== undefined) q = q.where("s.name_key", ">", options.after);
        if (options.contains) {
          const pattern = `%${options.contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          q = q.where(sql<boolean>`s.name_key like ${pattern} escape '\\'`);
        }
        if (hideOverridden && scope.projectId !== null) {
          const projectId = scope.projectId;
          q = q.where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom("secrets as p")
                  .select(sql`1`.as("one"))
                  .where("p.org_id", "=", scope.orgId)
                  .where(sql<string>`coalesce(p.project_id, '')`, "=", projectId)
                  .whereRef("p.name_key", "=", "s.name_key"),
              ),
            ),
          );
        }
        return q.orderBy("s.name_key").limit(options.limit);
      };
      if (scope.projectId === null) return side("", false).execute();
      // Merged in SQL, so the page follows the database's own ordering of names (its collation).
      const both = tx
        .selectFrom(side(scope.projectId, false).as("own"))
        .selectAll()
        .unionAll(tx.selectFrom(side("", true).as("shared")).selectAll());
      return tx
        .selectFrom(both.as("u"))
        .selectAll()
        .orderBy("u.name_key")
        .limit(options.limit)
        .execute() as Promise<SecretRow[]>;
    },

    async usage(tx: Tx, secretIds: string[]): Promise<Map<string, ConsumerRef[]>> {
      const out = new Map<string, ConsumerRef[]>();
      if (secretIds.length === 0) return out;
      const rows = await tx
        .selectFrom("consumer_secrets")
        .innerJoin("consumers", "consumers.id", "consumer_secrets.consumer_id")
        .select(["consumer_secrets.secret_id", "consumers.id", "consumers.kind", "consumers.name"])
        .where("consumer_secrets.secret_id", "in", secretIds)
        .orderBy("consumers.name")
        .execute();
      for (const r of rows) {
        const list = out.get(r.secret_id) ?? [];
        list.push({ kind: r.kind, id: r.id, name: r.name });
        out.set(r.secret_id, list);
      }
      return out;
    },

    async versionRow(tx: Tx, secretId: string, version: number) {
      return tx
        .selectFrom("secret_versions")
        .selectAll()
        .where("secret_id", "=", secretId)
        .where("version", "=", version)
        .executeTakeFirst();
    },

    async versions(tx: Tx, secretId: string) {
      return tx
        .selectFrom("secret_versions")
        .select(["version", "created_at", "created_by"])
        .where("secret_id", "=", secretId)
        .orderBy("version", "desc")
        .execute();
    },

    /** The kept version numbers of each secret, newest first (the current one among them). */
    async keptVersions(tx: Tx, secretIds: string[]): Promise<Map<string, number[]>> {
      const out = new Map<string, number[]>();
      if (secretIds.length === 0) return out;
      const rows = await tx
        .selectFrom("secret_versions")
        .select(["secret_id", "version"])
        .where("secret_id", "in", secretIds)
        .orderBy("secret_id")
        .orderBy("version", "desc")
        .execute();
      for (const r of rows) {
        const list = out.get(r.secret_id) ?? [];
        list.push(Number(r.version));
        out.set(r.secret_id, list);
      }
      return out;
    },

    /** Destroys the ciphertexts of versions older than the newest `keep` (S9). */
    async pruneVersions(tx: Tx, secretId: string, currentVersion: number, keep: number): Promise<void> {
      await tx
        .deleteFrom("secret_versions")
        .where("secret_id", "=", secretId)
        .where("version", "<=", currentVersion - keep)
        .execute();
    },

    /** When a project secret shadows an organization secret, the project's consumers now use it. */
    async repointProjectConsumers(tx: Tx, projectId: string, fromSecretId: string, toSecretId: string) {
      const ids = tx.selectFrom("consumers").select("id").where("project_id", "=", projectId);
      await tx
        .updateTable("consumer_secrets")
        .set({ secret_id: toSecretId })
        .where("secret_id", "=", fromSecretId)
        .where("consumer_id", "in", ids)
        .execute();
    },
  };
}

export type SecretsStore = ReturnType<typeof secretsStore>;

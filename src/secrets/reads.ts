/**
 * The management API's reads (S5, S8): pages and single secrets as metadata, their versions, and the
 * audited reveal of a masked value. Nothing here changes a secret.
 */
import type { OrgAudited } from "../auth/audited.js";
import type { AuthService, ProjectRecord } from "../auth/index.js";
import type { OrgAccess } from "../auth/types.js";
import { AppError } from "../errors.js";
import type { Store, Tx } from "../store/db.js";
import type { ListCache } from "./list-cache.js";
import { isNotPlain, pageJson } from "./list-json.js";
import {
  type ListedSecret,
  listPage,
  listPageJson,
  orgNameKeys,
  type PageOptions,
  usage,
} from "./listing.js";
import { nameKey } from "./names.js";
import type { RuntimeSecrets } from "./resolver.js";
import { safeName } from "./resolver.js";
import type { SecretRecord } from "./store.js";
import * as q from "./store.js";
import type { ConsumerRef, Scope, SecretMetadata, SecretValue } from "./types.js";

/** Where a request points: the organization, or one of its projects. */
export interface ScopeTarget {
  access: OrgAccess;
  project: ProjectRecord | null;
}

export interface ListOptions {
  archived: boolean;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** What the management API's parts share. */
export interface SecretsParts {
  store: Store;
  auth: Pick<AuthService, "authorize">;
  audited: OrgAudited;
  runtime: RuntimeSecrets;
  /**
   * The database keeps each secret's list text (SQLite, list-text.ts): a page of plain rows is joined in SQL,
   * and kept here until its organization's secrets change (list-cache.ts).
   */
  listCache: ListCache | undefined;
}

export const scopeOf = (t: ScopeTarget): Scope => ({
  orgId: t.access.org.id,
  projectId: t.project?.id ?? null,
});

const notFound = (name: string) =>
  new AppError("not_found", `no secret named ${safeName(name)} in this scope`);

/** The secret of exactly this scope, locked for the rest of the (write) transaction. */
export async function findExact(
  p: SecretsParts,
  tx: Tx,
  t: ScopeTarget,
  name: string,
): Promise<SecretRecord> {
  const row = await q.findInScope(tx, scopeOf(t), nameKey(name), p.store.dialect);
  if (!row) throw notFound(name);
  return row;
}

/** What a reader of this scope sees under `name`: the project's own secret, else the organization's. */
export async function findEffective(tx: Tx, t: ScopeTarget, name: string): Promise<SecretRecord> {
  const scope = scopeOf(t);
  const own = await q.findInScope(tx, scope, nameKey(name));
  if (own) return own;
  if (scope.projectId !== null) {
    const shared = await q.findInScope(tx, { orgId: scope.orgId, projectId: null }, nameKey(name));
    if (shared) return shared;
  }
  throw notFound(name);
}

/** What a secret's answer is made of, whether it comes from a list page or a single read. */
type Shown = Omit<ListedSecret, "usageCount" | "overrides">;

function view(row: Shown, usageCount: number, overrides: boolean): SecretMetadata {
  const m: SecretMetadata = {
    name: row.name,
    type: row.type,
    visibility: row.visibility,
    description: row.description,
    allowedHosts: row.allowedHosts,
    scope: row.projectId === null ? "org" : "project",
    usageCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
    lastAccessedAt: row.lastAccessedAt,
    lastAccessedBy: parseConsumerRef(row.lastAccessedBy),
    version: row.currentVersion,
    archived: row.archived,
  };
  if (row.projectId !== null) m.overrides = overrides;
  return m;
}

/** One secret's answer, with the consumers that use it. */
export async function one(tx: Tx, row: SecretRecord): Promise<SecretMetadata> {
  const usedBy = (await usage(tx, [row.id])).get(row.id) ?? [];
  const overrides = row.projectId !== null && (await orgNameKeys(tx, row.orgId, [row.nameKey])).size > 0;
  return { ...view(row, usedBy.length, overrides), usedBy };
}

type ListPage = { secrets: SecretMetadata[]; nextCursor: string | null };

export function secretReads(p: SecretsParts) {
  const { store, auth, audited } = p;
  /** A page through JS: rows, then each answer through `view` (and zod, on its way out). */
  const jsPage = async (scope: Scope, asked: PageOptions, limit: number): Promise<ListPage> => {
    const rows = await listPage(store.db, store.dialect, scope, asked);
    const { page, nextCursor } = cut(rows, limit, (r) => r.nameKey);
    return { secrets: page.map((r) => view(r, r.usageCount, r.overrides)), nextCursor };
  };
  return {
    /** One page in name order; `nextCursor` is null on the last page. */
    async list(t: ScopeTarget, options: ListOptions): Promise<ListPage> {
      await auth.authorize(t.access, "secret.read");
      return jsPage(scopeOf(t), pageOptions(options), options.limit);
    },

    /**
     * The same page for the HTTP answer: its JSON text where the database writes it (SQLite: list-json.ts,
     * a page of plain rows; kept until its organization's secrets change, list-cache.ts), else the page as
     * `list` gives it. Authorized and parsed once for either way, and authorized before anything is kept.
     */
    async listAnswer(t: ScopeTarget, options: ListOptions): Promise<string | ListPage> {
      await auth.authorize(t.access, "secret.read");
      const scope = scopeOf(t);
      const asked = pageOptions(options);
      if (p.listCache) {
        const key = {
          scope,
          archived: asked.archived,
          contains: asked.contains,
          after: asked.after,
          limit: options.limit,
        };
        const text = await p.listCache.page(store.db, key, () =>
          pageText(store, scope, asked, options.limit),
        );
        if (text !== undefined) return text;
      }
      return jsPage(scope, asked, options.limit);
    },

    async get(t: ScopeTarget, name: string): Promise<SecretMetadata> {
      await auth.authorize(t.access, "secret.read");
      return one(store.db, await findEffective(store.db, t, name));
    },

    async reveal(t: ScopeTarget, name: string): Promise<{ value: SecretValue }> {
      await auth.authorize(t.access, "secret.reveal", { type: "secret", name: safeName(name) });
      const row = await findEffective(store.db, t, name);
      const reveal = {
        action: "secret.reveal",
        target: { type: "secret", id: row.id, name: row.name },
      } as const;
      if (row.visibility !== "masked") {
        return audited.refuse(t.access, reveal, {
          reason: "restricted",
          message: `secret ${row.name} is restricted: its value can never be read`,
        });
      }
      // The audit entry commits with the read (A2): a reveal that cannot be audited returns nothing.
      return audited(t.access, reveal, async (tx, entry) => {
        const value = await p.runtime.values.decrypt(tx, row, row.currentVersion);
        entry.details = { version: row.currentVersion };
        return { value };
      });
    },

    async versions(
      t: ScopeTarget,
      name: string,
    ): Promise<{ version: number; createdAt: string; createdBy: string; current: boolean }[]> {
      await auth.authorize(t.access, "secret.read");
      const row = await findEffective(store.db, t, name);
      const rows = await q.versions(store.db, row.id);
      return rows.map((v) => ({ ...v, current: v.version === row.currentVersion }));
    },
  };
}

/**
 * A page's answer as SQLite writes it (list-json.ts), read now; undefined when a row is not plain (an
 * escaped host list, a damaged column): the JS path then answers or refuses.
 */
export async function pageText(
  store: Store,
  scope: Scope,
  asked: PageOptions,
  limit: number,
): Promise<string | undefined> {
  const rows = await listPageJson(store.db, scope, asked).catch((error: unknown) => {
    if (isNotPlain(error)) return undefined;
    throw error;
  });
  if (rows === undefined) return undefined;
  const { page, nextCursor } = cut(rows, limit, (r) => r.name_key);
  return pageJson(
    page.map((r) => r.item),
    nextCursor,
  );
}

/** What a page asks the database for: one row past the limit tells whether another page follows. */
export const pageOptions = (options: ListOptions): PageOptions => ({
  archived: options.archived,
  contains: options.q ? nameKey(options.q) : undefined,
  after: options.cursor === undefined ? undefined : decodeCursor(options.cursor),
  limit: options.limit + 1,
});

/** The page of rows asked with one past the limit, and the cursor to the next page (null on the last). */
function cut<R>(rows: R[], limit: number, keyOf: (row: R) => string) {
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? encodeCursor(keyOf(page[page.length - 1]!)) : null };
}

/** The cursor is the last name key of the page, opaque to clients. */
const encodeCursor = (key: string) => Buffer.from(key, "utf8").toString("base64url");
function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  if (key === "" || encodeCursor(key) !== cursor) {
    throw new AppError("invalid_request", "cursor is not one this server gave", {
      fields: [{ field: "query.cursor", message: "pass nextCursor from the previous page" }],
    });
  }
  return key;
}

function parseConsumerRef(text: string | null): ConsumerRef | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as ConsumerRef;
    return { kind: v.kind, id: v.id, name: v.name };
  } catch {
    return null;
  }
}

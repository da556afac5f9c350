/**
 * Each node's cached view of a scope's secrets (D2): the rows a run of that scope resolves against. Any
 * change of an organization drops its views; a reset of change notices drops all. A load caches what it
 * read only if neither its organization's generation nor the global one moved while it read: a change
 * committed meanwhile must not be cached over, even for an organization that had nothing cached when the
 * notice or the reset came. While this node is not listening it caches and serves nothing (reads through).
 */
import type { SecretRecord } from "./store.js";
import type { Scope } from "./types.js";

export interface ScopeView {
  expiresAt: number;
  /** name key → the secret a consumer of this scope gets (a project secret wins, S7). */
  effective: Map<string, SecretRecord>;
  /** The scope's and its organization's secrets that are not archived. */
  live: SecretRecord[];
  /** Built on first use, then kept with the view (runner's redactor). */
  redaction?: Promise<string[]>;
  /** Each redacted string → the live secrets whose value holds it. */
  holders?: Promise<Map<string, SecretRecord[]>>;
}

export interface ViewCacheDeps {
  ttlMs: number;
  /** False while notices from other nodes may be missed. */
  listening(): boolean;
  /** The rows visible from a scope: its own and, for a project, its organization's. */
  read(scope: Scope): Promise<SecretRecord[]>;
  now?: () => number;
}

export interface ViewCache {
  /** The cached view, if still fresh: runs take it without an await. */
  fresh(scope: Scope): ScopeView | undefined;
  /** The fresh view, else one read now (and cached if nothing changed while it was read). */
  get(scope: Scope): Promise<ScopeView>;
  /** A change of this organization: its views go, and loads in flight for it will not be cached. */
  dropOrg(orgId: string): void;
  /** Notices may have been missed: every view goes, and no load in flight will be cached. */
  dropAll(): void;
  clear(): void;
}

export function createViewCache(deps: ViewCacheDeps): ViewCache {
  const now = deps.now ?? Date.now;
  const views = new Map<string, ScopeView>();
  let globalGeneration = 0;
  const generations = new Map<string, number>();
  const keyOf = (scope: Scope) => `${scope.orgId}/${scope.projectId ?? ""}`;

  function fresh(scope: Scope): ScopeView | undefined {
    const cached = views.get(keyOf(scope));
    return cached && cached.expiresAt > now() && deps.listening() ? cached : undefined;
  }

  async function load(scope: Scope): Promise<ScopeView> {
    const generation = generations.get(scope.orgId) ?? 0;
    const global = globalGeneration;
    const rows = await deps.read(scope);
    const effective = new Map<string, SecretRecord>();
    for (const row of rows) {
      const current = effective.get(row.nameKey);
      effective.set(row.nameKey, current ? runtimeWinner(current, row) : row);
    }
    const view: ScopeView = {
      expiresAt: now() + deps.ttlMs,
      effective,
      live: rows.filter((r) => !r.archived),
    };
    const unchanged = (generations.get(scope.orgId) ?? 0) === generation && globalGeneration === global;
    if (unchanged && deps.listening()) views.set(keyOf(scope), view);
    return view;
  }

  return {
    fresh,
    get: async (scope) => fresh(scope) ?? load(scope),
    dropOrg(orgId) {
      generations.set(orgId, (generations.get(orgId) ?? 0) + 1);
      for (const key of views.keys()) if (key.startsWith(`${orgId}/`)) views.delete(key);
    },
    dropAll() {
      globalGeneration += 1;
      views.clear();
    },
    clear: () => views.clear(),
  };
}

/**
 * Of an organization secret and the project secret that overrides it, the one a run uses: the project's,
 * unless it is archived (S7) and the organization's is there to fall back to.
 */
export function runtimeWinner(a: SecretRecord, b: SecretRecord): SecretRecord {
  const [project, org] = a.projectId !== null ? [a, b] : [b, a];
  return project.archived && !org.archived ? org : project;
}

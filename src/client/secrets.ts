/** The client's secrets (SPEC S1-S9): write-only values, metadata, versions; `list` pages to the end. */
import { getList, type Request, scopePath, seg, send, unwrapList } from "./collection.js";
import type { RequestOptions } from "./transport.js";
import type {
  CreateSecretInput,
  PatchSecretInput,
  RevealedSecret,
  Scope,
  SecretListQuery,
  SecretMetadata,
  SecretPage,
  SecretVersion,
  UpdateSecretValueInput,
} from "./types.js";

export interface SecretsApi {
  /** Every secret of the scope, in name order: reads page after page. */
  list(scope: Scope, options?: { archived?: boolean; q?: string }): Promise<SecretMetadata[]>;
  /** One page (`limit` 1-1000, default 500); pass `nextCursor` back as `cursor`; null on the last page. */
  page(scope: Scope, options?: SecretListQuery): Promise<SecretPage>;
  create(scope: Scope, input: CreateSecretInput): Promise<SecretMetadata>;
  get(scope: Scope, name: string): Promise<SecretMetadata>;
  updateValue(scope: Scope, name: string, input: UpdateSecretValueInput): Promise<SecretMetadata>;
  patch(scope: Scope, name: string, input: PatchSecretInput): Promise<SecretMetadata>;
  delete(scope: Scope, name: string): Promise<void>;
  archive(scope: Scope, name: string): Promise<SecretMetadata>;
  restore(scope: Scope, name: string): Promise<SecretMetadata>;
  /** Masked secrets only, owners and admins; every reveal is audited. */
  reveal(scope: Scope, name: string): Promise<RevealedSecret>;
  versions(scope: Scope, name: string): Promise<SecretVersion[]>;
  rollback(scope: Scope, name: string, input: { version: number }): Promise<SecretMetadata>;
}

function listQuery(opts: SecretListQuery): RequestOptions["query"] {
  const { archived, q, limit, cursor } = opts;
  return { archived: archived === undefined ? undefined : String(archived), q, limit, cursor };
}

export function secretsApi(request: Request): SecretsApi {
  const sec = (scope: Scope, name: string) => `${scopePath(scope)}/secrets/${seg(name)}`;
  return {
    page: (scope, opts = {}) => request("GET", `${scopePath(scope)}/secrets`, { query: listQuery(opts) }),
    list: async (scope, opts = {}) => {
      const all: SecretMetadata[] = [];
      let cursor: string | undefined;
      do {
        const query = listQuery({ ...opts, limit: 1000, ...(cursor ? { cursor } : {}) });
        const page: SecretPage = await request("GET", `${scopePath(scope)}/secrets`, { query });
        all.push(...unwrapList<SecretMetadata>(page, "secrets"));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return all;
    },
    create: (scope, input) => request("POST", `${scopePath(scope)}/secrets`, { body: input }),
    get: (scope, name) => request("GET", sec(scope, name)),
    updateValue: (scope, name, input) => request("PUT", `${sec(scope, name)}/value`, { body: input }),
    patch: (scope, name, input) => request("PATCH", sec(scope, name), { body: input }),
    delete: (scope, name) => send(request, "DELETE", sec(scope, name)),
    archive: (scope, name) => request("POST", `${sec(scope, name)}/archive`),
    restore: (scope, name) => request("POST", `${sec(scope, name)}/restore`),
    reveal: (scope, name) => request("POST", `${sec(scope, name)}/reveal`),
    versions: (scope, name) => getList<SecretVersion>(request, `${sec(scope, name)}/versions`, "versions"),
    rollback: (scope, name, input) => request("POST", `${sec(scope, name)}/rollback`, { body: input }),
  };
}

/**
 * What the client's areas share: URL paths, list answers, and the five verbs of a project's collections
 * (integrations, logic, flows, templates, installations), written once and typed by each area.
 */
import { CloakroomNetworkError, type RequestOptions, type Transport } from "./transport.js";
import type { ProjectScope, RunInput, Scope } from "./types.js";

export type Request = Transport["request"];

export const seg = encodeURIComponent;

/** `/v1/orgs/{org}`, or `/v1/orgs/{org}/projects/{project}` for a project's scope. */
export function scopePath(scope: Scope): string {
  const org = `/v1/orgs/${seg(scope.org)}`;
  return scope.project === undefined ? org : `${org}/projects/${seg(scope.project)}`;
}

export function projectPath(scope: ProjectScope): string {
  return `/v1/orgs/${seg(scope.org)}/projects/${seg(scope.project)}`;
}

/** Lists are answered either as an array or wrapped in one property (`{secrets: [...]}`); accept both. */
export function unwrapList<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === "object") {
    const inner = (body as Record<string, unknown>)[key];
    if (Array.isArray(inner)) return inner as T[];
  }
  throw new CloakroomNetworkError(`unexpected answer: expected a list of ${key}`, "");
}

/** GET of a list answered as an array or as `{[key]: [...]}`. */
export async function getList<T>(
  request: Request,
  path: string,
  key: string,
  options: RequestOptions = {},
): Promise<T[]> {
  return unwrapList<T>(await request("GET", path, options), key);
}

/** A request whose answer (204, or a body nobody needs) is dropped. */
export async function send(request: Request, method: string, path: string, body?: unknown): Promise<void> {
  await request(method, path, body === undefined ? {} : { body });
}

/** A project's collection of `T` (its item addressed by id, or by name for installations), made from `I`. */
export interface ProjectCollection<T, I> {
  list(scope: ProjectScope): Promise<T[]>;
  get(scope: ProjectScope, id: string): Promise<T>;
  create(scope: ProjectScope, input: I): Promise<T>;
  update(scope: ProjectScope, id: string, input: I): Promise<T>;
  delete(scope: ProjectScope, id: string): Promise<void>;
}

/** `POST .../{collection}/{id}/{verb}` with a run's input (a test event): `test`, `run`, `preview`. */
export type ItemAction<R, In = RunInput> = (scope: ProjectScope, id: string, input?: In) => Promise<R>;

/** The five verbs on `.../projects/{p}/{name}`, and a maker of the collection's item actions. */
export function projectCollection<T, I>(request: Request, name: string) {
  const path = (scope: ProjectScope, id?: string) =>
    `${projectPath(scope)}/${name}${id === undefined ? "" : `/${seg(id)}`}`;
  const api: ProjectCollection<T, I> = {
    list: (scope) => getList<T>(request, path(scope), name),
    get: (scope, id) => request("GET", path(scope, id)),
    create: (scope, input) => request("POST", path(scope), { body: input }),
    update: (scope, id, input) => request("PUT", path(scope, id), { body: input }),
    delete: (scope, id) => send(request, "DELETE", path(scope, id)),
  };
  const action =
    <R>(verb: string): ItemAction<R> =>
    (scope, id, input = {}) =>
      request("POST", `${path(scope, id)}/${verb}`, { body: input });
  return { api, path, action };
}

/**
 * The typed client's part for the app catalog and installations (SPEC X8): `client.apps`,
 * `client.installations`. Types are the server's zod schemas seen as types, as in types.ts.
 */
import type { z } from "zod";
import type {
  actionBody,
  catalogSchema,
  installationInputSchema,
  installationListSchema,
  installationSchema,
} from "../apps/schema.js";
import type { ProjectScope, RunLogEntry } from "./types.js";

/** An app of the catalog: its configuration fields (secret ones marked) and its actions' inputs. */
export type App = z.output<typeof catalogSchema>["apps"][number];
export type Installation = z.output<typeof installationSchema>;
/** What `POST`/`PUT .../installations` take; a secret field is `{expr: "secrets.NAME"}`. */
export type InstallationInput = z.input<typeof installationInputSchema>;
/** An action's input: a string per input field. */
export type ActionInput = NonNullable<z.input<typeof actionBody>>["input"];

export interface AppsApi {
  apps: {
    list(): Promise<App[]>;
  };
  installations: {
    list(scope: ProjectScope): Promise<Installation[]>;
    get(scope: ProjectScope, name: string): Promise<Installation>;
    create(scope: ProjectScope, input: InstallationInput): Promise<Installation>;
    update(scope: ProjectScope, name: string, input: InstallationInput): Promise<Installation>;
    delete(scope: ProjectScope, name: string): Promise<void>;
    /** Runs an action now; the answer is its redacted run-log entry (a failed run is an entry, not an error). */
    invoke(scope: ProjectScope, name: string, action: string, input?: ActionInput): Promise<RunLogEntry>;
  };
}

type Request = <T>(method: string, path: string, options?: { body?: unknown }) => Promise<T>;

export function appsApi(request: Request, projectPath: (scope: ProjectScope) => string): AppsApi {
  const seg = encodeURIComponent;
  const inst = (scope: ProjectScope, name?: string) =>
    `${projectPath(scope)}/installations${name === undefined ? "" : `/${seg(name)}`}`;
  return {
    apps: {
      list: async () => (await request<z.output<typeof catalogSchema>>("GET", "/v1/apps")).apps,
    },
    installations: {
      list: async (scope) =>
        (await request<z.output<typeof installationListSchema>>("GET", inst(scope))).installations,
      get: (scope, name) => request("GET", inst(scope, name)),
      create: (scope, input) => request("POST", inst(scope), { body: input }),
      update: (scope, name, input) => request("PUT", inst(scope, name), { body: input }),
      delete: async (scope, name) => {
        await request("DELETE", inst(scope, name));
      },
      invoke: (scope, name, action, input = {}) =>
        request("POST", `${inst(scope, name)}/actions/${seg(action)}`, { body: { input } }),
    },
  };
}

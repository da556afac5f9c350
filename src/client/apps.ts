/**
 * The typed client's part for the app catalog and installations (SPEC X8): `client.apps`,
 * `client.installations`. Types are the server's zod schemas seen as types, as in types.ts.
 */
import type { z } from "zod";
import type {
  actionBody,
  catalogSchema,
  installationInputSchema,
  installationSchema,
} from "../apps/schema.js";
import { getList, type ProjectCollection, projectCollection, type Request, seg } from "./collection.js";
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
  /** Installations are addressed by name. */
  installations: ProjectCollection<Installation, InstallationInput> & {
    /** Runs an action now; the answer is its redacted run-log entry (a failed run is an entry, not an error). */
    invoke(scope: ProjectScope, name: string, action: string, input?: ActionInput): Promise<RunLogEntry>;
  };
}

export function appsApi(request: Request): AppsApi {
  const installations = projectCollection<Installation, InstallationInput>(request, "installations");
  return {
    apps: { list: () => getList<App>(request, "/v1/apps", "apps") },
    installations: {
      ...installations.api,
      invoke: (scope, name, action, input = {}) =>
        request("POST", `${installations.path(scope, name)}/actions/${seg(action)}`, { body: { input } }),
    },
  };
}

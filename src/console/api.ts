/**
 * The console's only way to the server: the typed client (SPEC I4) on the page's own origin. The session
 * rides in the httpOnly cookie; the console header asks sign-in for that cookie and passes the CSRF guard.
 */
import { CloakroomApiError, createClient, type RunLogEntry } from "../client/index.js";

export const api = createClient({ baseUrl: "/", headers: { "x-cloakroom-console": "1" } });

export type * from "../client/index.js";
export { CloakroomApiError };

/** SPEC `Str`: a step's or an installation's string, a literal or `{"expr": "..."}` (X4). */
export type Str = string | { expr: string };

/** One step of a flow's run-log entry (X4); every string already redacted. */
export type RunStep = NonNullable<RunLogEntry["steps"]>[number];

/** A person-readable line for a failed request (messages never contain values). */
export function errorText(error: unknown): string {
  if (error instanceof CloakroomApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "something went wrong";
}

export function errorCode(error: unknown): string | undefined {
  return error instanceof CloakroomApiError ? error.code : undefined;
}

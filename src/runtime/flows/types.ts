/** What one flow step produced, before redaction (the run-log entry's `steps`, SPEC "Shapes"). */
import type { RunLogEntry } from "../runner/schema.js";

export type StepLog = NonNullable<RunLogEntry["steps"]>[number];

export interface StepOutcome {
  status: "success" | "failure";
  request?: StepLog["request"];
  response?: StepLog["response"];
  console?: StepLog["console"];
  output?: unknown;
  error?: { code: string; message: string };
  /** Another attempt of the whole flow may succeed (a network error, 5xx, 429). */
  retryable: boolean;
  retryAfterMs?: number | undefined;
}

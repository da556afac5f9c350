/** What one flow step produced, before redaction (the run-log entry's `steps`, SPEC "Shapes"). */
import type { Consumer } from "../../consumers/schema.js";
import type { SecretValue } from "../../secrets/types.js";
import type { BoundSecret } from "../runner/destination.js";
import type { RunEvent, RunLogEntry } from "../runner/schema.js";

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

export type FlowConsumer = Extract<Consumer, { kind: "flow" }>;

/** One attempt of a flow: what every step of it reads. */
export interface FlowAttempt {
  flow: FlowConsumer;
  event: RunEvent;
  /** The declared values, under each spelling the steps write (runner/aliases.ts). */
  values: Record<string, SecretValue>;
  bound: readonly BoundSecret[];
  deliveryId: string;
}

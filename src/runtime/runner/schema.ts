/** Events, run requests and run-log entries as the API shows them (SPEC "Shapes", X1). */
import { z } from "zod";
import { consumerParams, projectParams } from "../../consumers/schema.js";
import { decimalInt } from "../../http/query.js";

export { consumerParams, projectParams };

export const EVENT_NAME_MAX = 200;

const eventName = z
  .string()
  .min(1)
  .max(EVENT_NAME_MAX)
  .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters");

export const publishEventBody = z.object({
  name: eventName,
  data: z.unknown().optional(),
});
export type PublishEventInput = z.output<typeof publishEventBody>;

/** An integration test or a logic run: the event to feed it, a made-up one when absent. */
export const runNowBody = z
  .object({
    event: z
      .object({
        name: eventName.optional(),
        data: z.unknown().optional(),
      })
      .optional(),
  })
  .optional();
export type RunNowInput = z.output<typeof runNowBody>;

export const logsQuery = z.object({
  consumer: z.string().min(1).max(100).optional(),
  limit: decimalInt(1, 200, 50),
  before: z.string().min(1).max(100).optional(),
});

/** One consumer run, already redacted when it leaves the runtime (X6). The type is the schema's. */
export type RunLogEntry = z.output<typeof runLogEntrySchema>;
/** What a consumer run received (SPEC Concepts "Event"). */
export type RunEvent = RunLogEntry["event"];
export type RunStatus = RunLogEntry["status"];

const requestLog = z.object({
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string().nullable(),
});
const responseLog = z.object({
  status: z.number(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});
const consoleLog = z.array(z.object({ level: z.string(), message: z.string() }));
const errorLog = z.object({ code: z.string(), message: z.string() });
/** What an attempt sent and got back, in a run-log entry and in each of a flow's steps alike. */
const attemptLog = {
  request: requestLog.optional(),
  response: responseLog.optional(),
  console: consoleLog.optional(),
  output: z.unknown().optional(),
  error: errorLog.optional(),
};

/** One step of a flow run (X4), redacted with the entry. */
export const stepLogSchema = z.object({
  id: z.string(),
  type: z.enum(["http", "logic", "app"]),
  status: z.enum(["success", "failure"]),
  durationMs: z.number(),
  ...attemptLog,
  /** Seed 002: the step's response or output held a live secret, visible to the steps after it. */
  carriedSecret: z.boolean().optional(),
});

export const runLogEntrySchema = z.object({
  id: z.string(),
  consumer: z.object({
    kind: z.enum(["integration", "logic", "template", "flow", "installation"]),
    id: z.string(),
    name: z.string(),
  }),
  event: z.object({ id: z.string(), name: z.string(), data: z.unknown(), publishedAt: z.string() }),
  status: z.enum(["success", "failure"]),
  startedAt: z.string(),
  durationMs: z.number(),
  attempts: z.number(),
  ...attemptLog,
  /** A flow's steps in order, up to the one that failed. */
  steps: z.array(stepLogSchema).optional(),
  /**
   * `undeclared_secret_matched`: the log held values of secrets the consumer does not declare (names);
   * `secret_in_output`: a flow step's response or output held a live secret (`step`).
   */
  warnings: z
    .array(
      z.object({ code: z.string(), step: z.string().optional(), secrets: z.array(z.string()).optional() }),
    )
    .optional(),
});

export const logsAnswer = z.object({
  entries: z.array(runLogEntrySchema),
  /** Pass as `before` for the next page; absent when this page reached the oldest entry. */
  next: z.string().optional(),
});
export const publishAnswer = z.object({ id: z.string() });

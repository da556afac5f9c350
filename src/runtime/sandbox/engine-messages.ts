/**
 * The texts a run's errors carry: plain functions of what the sandbox described, with no QuickJS handle in
 * sight, so they can be read (and tested) apart from the engine.
 */
import {
  MAX_CONSOLE_LINE_BYTES,
  MAX_OUTPUT_CHARS,
  type SandboxError,
  TRUNCATION_MARK,
  type WorkerJob,
} from "./types.js";

const MAX_STACK_FRAMES = 10;

/** What the prelude's `describe` (or `dump`, before the prelude exists) tells about a thrown value. */
export interface Described {
  isError: boolean;
  name: string;
  message: string;
  stack: string;
  lineNumber: string;
}

export function isOutOfMemory(described: Described | undefined): boolean {
  return (
    described?.name === "InternalError" &&
    (described.message === "out of memory" || described.message === "string too long")
  );
}

export function runtimeMessage(d: Described): string {
  const head = d.isError ? (d.name ? `${d.name}: ${d.message}` : d.message) : `Uncaught ${d.message}`;
  const frames = d.stack
    .trimEnd()
    .split("\n")
    .filter((frame) => frame.trim() !== "");
  // A stack overflow repeats one frame thousands of times; the first few say all there is.
  const shown = frames.slice(0, MAX_STACK_FRAMES);
  if (frames.length > MAX_STACK_FRAMES) shown.push(`    ... ${frames.length - MAX_STACK_FRAMES} more frames`);
  return capLine(shown.length > 0 ? `${head}\n${shown.join("\n")}` : head);
}

export function syntaxMessage(d: Described, shift?: { line: number; columns: number }): string {
  const head = d.name ? `${d.name}: ${d.message}` : d.message;
  const at = /:(\d+):(\d+)\)?\s*$/m.exec(d.stack.split("\n")[0] ?? "");
  const line = at ? Number(at[1]) : Number(d.lineNumber) || 0;
  let column = at ? Number(at[2]) : 0;
  if (shift && line === shift.line && column > shift.columns) column -= shift.columns;
  if (line <= 0) return capLine(head);
  return capLine(column > 0 ? `${head} (line ${line}, column ${column})` : `${head} (line ${line})`);
}

export function crashed(): SandboxError {
  return { code: "sandbox_crashed", message: "the sandbox failed unexpectedly" };
}

export function timeoutError(timeoutMs: number): SandboxError {
  return { code: "timeout", message: `the run exceeded its time limit of ${timeoutMs} ms` };
}

export function memoryError(memoryMb: number): SandboxError {
  return { code: "memory_limit", message: `the run exceeded its memory limit of ${memoryMb} MiB` };
}

/** Caps a console line or message at MAX_CONSOLE_LINE_BYTES of UTF-8, marker included. */
export function capLine(text: string): string {
  if (text.length * 3 <= MAX_CONSOLE_LINE_BYTES) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= MAX_CONSOLE_LINE_BYTES) return text;
  let end = MAX_CONSOLE_LINE_BYTES - Buffer.byteLength(TRUNCATION_MARK);
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8") + TRUNCATION_MARK;
}

/** The run log's marker for a value (redaction/redactor.ts), kept out of the worker's bundle. */
const SENSITIVE = "[[SENSITIVE]]";
/** Shorter quoted parts are not taken for a value's, as the redactor does not search values under 4. */
const MIN_QUOTED_PART = 4;

/**
 * A message with each quoted text that is part of one of the job's secrets replaced by the run log's
 * marker. QuickJS quotes the input it stopped at (`JSON.parse(secrets.KEY)` throws `unexpected token:
 * 'sk_live_AB'` for `sk_live_AB:…`): a part of a value, which the run log's redactor, looking for whole
 * values and their forms, leaves as it is. Only on the error path, so the job's input is parsed again here.
 */
export function withoutSecretParts(message: string, job: WorkerJob): string {
  if (!message.includes("'")) return message;
  const input =
    job.kind === "expressions" ? job.scopeJson : job.kind === "function" ? job.inputJson : undefined;
  if (input === undefined) return message;
  const parts: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === "string") parts.push(v);
    else if (v !== null && typeof v === "object") for (const x of Object.values(v)) collect(x);
  };
  collect((JSON.parse(input) as { secrets?: unknown }).secrets);
  if (parts.length === 0) return message;
  return message.replace(/'([^']+)'/g, (quoted, inner: string) =>
    inner.length >= MIN_QUOTED_PART && parts.some((value) => value.includes(inner))
      ? `'${SENSITIVE}'`
      : quoted,
  );
}

/** The expressions' texts (values, errors, missing names) passed the bound of one job's answer. */
export function outputTooLarge(): SandboxError {
  return {
    code: "output_too_large",
    message: `the expressions' values are over ${MAX_OUTPUT_CHARS} characters; at most ${MAX_OUTPUT_CHARS} are accepted`,
  };
}

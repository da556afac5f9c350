/**
 * Size bounds of a run-log entry. An entry is redacted first and cut afterwards: a cut made before
 * redaction could split a value so that the redactor no longer recognises the piece that remains. This is
 * the one truncation helper of the run log; callers redact, then call it.
 */
import type { RunLogEntry } from "./schema.js";

export interface EntryLimits {
  /** The function's return value, as JSON. */
  outputBytes: number;
  /** All console lines of the entry together. */
  consoleBytes: number;
  /** The request body and the response body, each. */
  bodyBytes: number;
  /** The event's data, as JSON. */
  eventDataBytes: number;
}

export const ENTRY_LIMITS: EntryLimits = {
  outputBytes: 64 * 1024,
  consoleBytes: 64 * 1024,
  bodyBytes: 64 * 1024,
  eventDataBytes: 64 * 1024,
};

/** A page of the run log stops before this many bytes of entries (always holding at least one). */
export const LOG_PAGE_BYTES = 2 * 1024 * 1024;

export const truncationMark = (cutBytes: number): string => `… [truncated ${cutBytes} bytes]`;

/**
 * `text` within `maxBytes` of UTF-8 plus the mark naming how many bytes were cut; whole when it fits.
 * The cut falls on a character boundary. Call it on redacted text only.
 */
export function truncateRedacted(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8") + truncationMark(bytes.length - end);
}

/** A JSON value within `maxBytes`: itself when its JSON fits, else its JSON text, cut and marked. */
function capJson(value: unknown, maxBytes: number): unknown {
  const text = JSON.stringify(value) ?? "null";
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return value;
  return truncateRedacted(text, maxBytes);
}

/** Each step of a flow (X4) keeps less than a whole entry: a flow has up to 20. */
export const STEP_LIMITS: EntryLimits = {
  outputBytes: 16 * 1024,
  consoleBytes: 16 * 1024,
  bodyBytes: 16 * 1024,
  eventDataBytes: 0,
};

/** The entry within `limits`. `entry` must be redacted already. */
export function capEntry(entry: RunLogEntry, limits: EntryLimits = ENTRY_LIMITS): RunLogEntry {
  const out: RunLogEntry = capParts(
    { ...entry, event: { ...entry.event, data: capJson(entry.event.data, limits.eventDataBytes) } },
    limits,
  );
  if (entry.steps) out.steps = entry.steps.map((step) => capParts(step, STEP_LIMITS));
  return out;
}

type Parts = Pick<RunLogEntry, "output" | "request" | "response" | "console">;

function capParts<T extends Parts>(entry: T, limits: EntryLimits): T {
  const out: T = { ...entry };
  if (entry.output !== undefined) out.output = capJson(entry.output, limits.outputBytes);
  if (entry.request?.body)
    out.request = { ...entry.request, body: truncateRedacted(entry.request.body, limits.bodyBytes) };
  if (entry.response)
    out.response = { ...entry.response, body: truncateRedacted(entry.response.body, limits.bodyBytes) };
  if (entry.console) {
    let left = limits.consoleBytes;
    const lines: NonNullable<RunLogEntry["console"]> = [];
    for (const [i, line] of entry.console.entries()) {
      const size = Buffer.byteLength(line.message);
      if (size <= left) {
        lines.push(line);
        left -= size;
        continue;
      }
      if (left > 0) lines.push({ level: line.level, message: truncateRedacted(line.message, left) });
      const dropped = entry.console.length - i - (left > 0 ? 1 : 0);
      if (dropped > 0)
        lines.push({
          level: "warn",
          message: `[${dropped} more console lines were dropped: the log keeps ${limits.consoleBytes} bytes]`,
        });
      break;
    }
    out.console = lines;
  }
  return out;
}

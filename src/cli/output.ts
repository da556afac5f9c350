/** Human output (aligned tables, short times) and machine output (`--json`: the API's JSON as is). */
import type { ConsumerRef } from "../client/index.js";
import type { CliIo } from "./io.js";

/** A table's columns: each header, in order, with the row's field it shows or how its cell reads. */
export type Columns<T> = Record<string, StringKey<T> | ((row: T) => string)>;

type StringKey<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T] & string;

/** Left-aligned columns separated by two spaces; control characters in cells are made visible. */
export function renderTable<T>(rows: T[], columns: Columns<T>): string {
  const headers = Object.keys(columns);
  const getters = Object.values(columns);
  const cells = rows.map((row) =>
    getters.map((get) => printable(typeof get === "function" ? get(row) : (row[get] as string))),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => width(r[i] ?? ""))));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v + " ".repeat((widths[i] ?? 0) - width(v))))
      .join("  ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n") + "\n";
}

export function printTable<T>(io: CliIo, rows: T[], columns: Columns<T>, empty: string): void {
  if (rows.length === 0) {
    io.stderr.write(`${empty}\n`);
    return;
  }
  io.stdout.write(renderTable(rows, columns));
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `key: value` lines for one record. */
export function printFields(io: CliIo, fields: [string, string][]): void {
  const w = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) io.stdout.write(`${k.padEnd(w)}  ${printable(v)}\n`);
}

/** `2025-01-31 14:05Z`: minutes are enough for a table; `--json` has the full timestamp. */
export function shortTime(iso: string | null | undefined, never = "never"): string {
  if (!iso) return never;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")}Z`;
}

/** A column showing a timestamp field as `shortTime` does. */
export const time =
  <K extends string>(key: K) =>
  (row: Record<K, string | null | undefined>): string =>
    shortTime(row[key]);

export function consumerLabel(ref: ConsumerRef | null | undefined): string {
  return ref ? `${ref.kind}/${ref.name}` : "";
}

// Names and descriptions come from other users: a terminal escape in one must not reach the terminal raw.
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === "\t" ? " " : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function width(text: string): number {
  return [...text].length;
}

/**
 * What most commands do once their flags are parsed: resolve where they act (a client and an organization,
 * scope or project), call the API, and print its JSON with --json or the human form without.
 */
import type { CliIo } from "./io.js";
import { type Columns, printJson, printTable } from "./output.js";

/** With --json the API's answer as is, else `text` on standard output. */
export function printResult(io: CliIo, flags: { json?: boolean }, value: unknown, text: string): void {
  if (flags.json) printJson(io, value);
  else io.stdout.write(text);
}

/** A `list` command's work: where it reads, what it fetches there, and how the rows print. */
export interface Listing<C, T, F> {
  fetch(ctx: C, flags: F): Promise<T[]>;
  columns: Columns<T>;
  /** Said on standard error when there is no row. */
  empty(ctx: C, flags: F): string;
  /** The JSON --json prints (default: the rows as the client returns them). */
  json?(rows: T[]): unknown;
}

/** The action of a command without arguments that lists: a table, or the API's JSON with --json. */
export function listAction<C, T, F extends { json?: boolean }>(
  io: CliIo,
  resolve: (io: CliIo, flags: F) => Promise<C>,
  listing: Listing<C, T, F>,
): (flags: F) => Promise<void> {
  return async (flags) => {
    const ctx = await resolve(io, flags);
    const rows = await listing.fetch(ctx, flags);
    if (flags.json) return printJson(io, listing.json ? listing.json(rows) : rows);
    printTable(io, rows, listing.columns, listing.empty(ctx, flags));
  };
}

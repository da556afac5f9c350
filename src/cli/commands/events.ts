/** `events publish` and `logs` (with `--follow`): a project's events and its redacted run log. */
import type { Command } from "commander";
import { CloakroomApiError, type RunLogEntry } from "../../client/index.js";
import { resolveProjectScope, signedInClient } from "../context.js";
import { CliError, type CliIo } from "../io.js";
import { printJson, shortTime } from "../output.js";
import { parseJson, readTextFile, withProject } from "./consumers.js";
import { integer } from "./orgs.js";

export function registerEvents(program: Command, io: CliIo): void {
  const events = program.command("events").description("events that trigger a project's consumers");
  withProject(events.command("publish <name>"))
    .description("publish an event; enabled consumers whose event filter is a prefix of its name run")
    .option("--data <json>", "the event's data (JSON)")
    .option("--data-file <path>", "the event's data from a JSON file")
    .action(
      async (
        name: string,
        flags: { org?: string; project?: string; json?: boolean; data?: string; dataFile?: string },
      ) => {
        if (flags.data !== undefined && flags.dataFile !== undefined) {
          throw new CliError("pass --data or --data-file, not both");
        }
        let data: unknown;
        if (flags.data !== undefined) data = parseJson(flags.data, "--data");
        if (flags.dataFile !== undefined) {
          data = parseJson(await readTextFile(flags.dataFile, "data file"), flags.dataFile);
        }
        const { client, session } = await signedInClient(io);
        const scope = await resolveProjectScope(io, client, session, flags);
        const published = await client.events.publish(scope, {
          name,
          ...(data !== undefined ? { data } : {}),
        });
        if (flags.json) return printJson(io, published);
        io.stdout.write(`published ${name} (event ${published.id})\n`);
      },
    );

  withProject(program.command("logs"))
    .description("show a project's run log (redacted), oldest first; --follow keeps printing new entries")
    .option("--consumer <id>", "only this consumer's runs")
    .option("--limit <n>", "how many recent entries (default 50)", (v) => integer(v, "--limit"))
    .option(
      "--follow",
      "keep polling and print new entries until interrupted (with --json: one entry per line)",
    )
    .option("--interval <seconds>", "polling interval for --follow (default 2)", (v) =>
      integer(v, "--interval"),
    )
    .action(
      async (flags: {
        org?: string;
        project?: string;
        json?: boolean;
        consumer?: string;
        limit?: number;
        follow?: boolean;
        interval?: number;
      }) => {
        const { client, session } = await signedInClient(io);
        const scope = await resolveProjectScope(io, client, session, flags);
        const query = { limit: flags.limit ?? 50, ...(flags.consumer ? { consumer: flags.consumer } : {}) };
        const first = await client.logs.list(scope, query);
        if (!flags.follow) {
          if (flags.json) return printJson(io, { entries: first });
          if (first.length === 0) io.stderr.write("no runs yet\n");
          for (const entry of [...first].reverse()) printRunEntry(io, entry, { detailed: false });
          return;
        }
        await follow(io, first, flags.json === true, (flags.interval ?? 2) * 1000, () =>
          client.logs.list(scope, query),
        );
      },
    );
}

/** Polls until SIGINT or SIGTERM; prints each entry once (NDJSON with --json). */
async function follow(
  io: CliIo,
  first: RunLogEntry[],
  json: boolean,
  intervalMs: number,
  fetchPage: () => Promise<RunLogEntry[]>,
): Promise<void> {
  // Bounded: ids older than the last few pages cannot come back in the newest page.
  const seen = new Set<string>();
  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > 10_000) {
      const oldest = seen.values().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
  };
  const show = (entries: RunLogEntry[]) => {
    for (const entry of [...entries].reverse()) {
      if (seen.has(entry.id)) continue;
      remember(entry.id);
      if (json) io.stdout.write(`${JSON.stringify(entry)}\n`);
      else printRunEntry(io, entry, { detailed: false });
    }
  };
  show(first);
  let stopped = false;
  let wake: () => void = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let warned = false;
  try {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) break;
      try {
        show(await fetchPage());
        warned = false;
      } catch (error) {
        // The server going away for a moment (a restart) is not the end of a tail; a refusal is.
        if (error instanceof CloakroomApiError && error.status < 500) throw error;
        if (!warned) io.stderr.write(`warning: ${(error as Error).message}; retrying\n`);
        warned = true;
      }
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

export function printRunEntry(io: CliIo, entry: RunLogEntry, options: { detailed: boolean }): void {
  const event = entry.event?.name ?? "-";
  const consumer = entry.consumer ? `${entry.consumer.kind}/${entry.consumer.name}` : "-";
  const error = entry.error ? `  ${entry.error.code}: ${entry.error.message}` : "";
  const attempts = entry.attempts > 1 ? `  (${entry.attempts} attempts)` : "";
  io.stdout.write(
    `${shortTime(entry.startedAt)}  ${entry.status.padEnd(7)}  ${consumer}  ${event}  ${entry.durationMs} ms${attempts}${error}\n`,
  );
  if (!options.detailed) return;
  if (entry.request) io.stdout.write(`  request: ${entry.request.method} ${entry.request.url}\n`);
  if (entry.response) io.stdout.write(`  response: ${entry.response.status}\n`);
  for (const line of entry.console ?? []) io.stdout.write(`  console.${line.level}: ${line.message}\n`);
  if (entry.output !== undefined) io.stdout.write(`  output: ${JSON.stringify(entry.output)}\n`);
}

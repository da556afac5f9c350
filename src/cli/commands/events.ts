/** `events publish` and `logs` (with `--follow`): a project's events and its redacted run log. */
import type { Command } from "commander";
import {
  CloakroomApiError,
  type CloakroomClient,
  type ProjectScope,
  type RunLogEntry,
} from "../../client/index.js";
import { projectContext, type ScopeFlags, withProject } from "../context.js";
import { eventData } from "../files.js";
import { CliError, type CliIo } from "../io.js";
import { printJson, shortTime } from "../output.js";
import { printResult } from "../verbs.js";
import { integer } from "./orgs.js";

export function registerEvents(program: Command, io: CliIo): void {
  const events = program.command("events").description("events that trigger a project's consumers");
  withProject(events.command("publish <name>"))
    .description("publish an event; enabled consumers whose event filter is a prefix of its name run")
    .option("--data <json>", "the event's data (JSON)")
    .option("--data-file <path>", "the event's data from a JSON file")
    .action(async (name: string, flags: ScopeFlags & { data?: string; dataFile?: string }) => {
      const data = await eventData(flags);
      const { client, scope } = await projectContext(io, flags);
      const published = await client.events.publish(scope, { name, ...(data !== undefined ? { data } : {}) });
      printResult(io, flags, published, `published ${name} (event ${published.id})\n`);
    });

  withProject(program.command("logs"))
    .description("show a project's run log (redacted), oldest first; --follow keeps printing new entries")
    .option("--consumer <name>", "only this consumer's runs (integration or logic function, name or id)")
    .option("--limit <n>", "how many recent entries (default 50)", (v) => integer(v, "--limit"))
    .option(
      "--follow",
      "keep polling and print new entries until interrupted (with --json: one entry per line)",
    )
    .option("--interval <seconds>", "polling interval for --follow (default 2)", (v) =>
      integer(v, "--interval"),
    )
    .action(
      async (
        flags: ScopeFlags & {
          consumer?: string;
          limit?: number;
          follow?: boolean;
          interval?: number;
        },
      ) => {
        const { client, scope } = await projectContext(io, flags);
        const consumer = flags.consumer ? await consumerId(client, scope, flags.consumer) : undefined;
        const query = { limit: flags.limit ?? 50, ...(consumer ? { consumer } : {}) };
        const first = await client.logs.list(scope, query);
        if (!flags.follow) {
          if (flags.json) return printJson(io, { entries: first });
          if (first.length === 0) io.stderr.write("no runs yet\n");
          for (const entry of [...first].reverse()) printRunEntry(io, entry, { detailed: false });
          return;
        }
        // --limit is how much history to show first; a poll catches up on everything since, page by page.
        await follow(io, first, flags.json === true, (flags.interval ?? 2) * 1000, (before) =>
          client.logs.list(scope, {
            limit: FOLLOW_PAGE,
            ...(consumer ? { consumer } : {}),
            ...(before ? { before } : {}),
          }),
        );
      },
    );
}

/** The largest page the server gives; a poll asks for pages of it until it meets an entry it has shown. */
const FOLLOW_PAGE = 200;
/** A poll reads at most this many pages back; a gap larger than that is reported, not silently skipped. */
const FOLLOW_MAX_PAGES = 50;

/** A consumer's id from its name or id: integrations and logic functions share the run log. */
async function consumerId(client: CloakroomClient, scope: ProjectScope, which: string): Promise<string> {
  const [integrations, functions, templates, flows] = await Promise.all([
    client.integrations.list(scope),
    client.logic.list(scope),
    client.templates.list(scope),
    client.flows.list(scope),
  ]);
  const all = [
    ...integrations.map((c) => ({ id: c.id, name: c.name, kind: "integration" })),
    ...functions.map((c) => ({ id: c.id, name: c.name, kind: "logic" })),
    ...templates.map((c) => ({ id: c.id, name: c.name, kind: "template" })),
    ...flows.map((c) => ({ id: c.id, name: c.name, kind: "flow" })),
  ];
  const byId = all.find((c) => c.id === which);
  if (byId) return byId.id;
  const byName = all.filter((c) => c.name === which);
  if (byName.length === 1 && byName[0]) return byName[0].id;
  if (byName.length > 1)
    throw new CliError(
      `${byName.map((c) => `${c.kind}/${c.name}`).join(" and ")} share the name ${which}: pass the id`,
    );
  throw new CliError(`no integration, logic function or flow ${which} in ${scope.org}/${scope.project}`);
}

/** Polls until SIGINT or SIGTERM; prints each entry once (NDJSON with --json). */
async function follow(
  io: CliIo,
  first: RunLogEntry[],
  json: boolean,
  intervalMs: number,
  fetchPage: (before?: string) => Promise<RunLogEntry[]>,
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
  // Newest first, back to a page holding an entry already shown (or the start of the log).
  const sinceLastSeen = async (): Promise<RunLogEntry[]> => {
    const fresh: RunLogEntry[] = [];
    let before: string | undefined;
    for (let page = 0; page < FOLLOW_MAX_PAGES; page++) {
      const entries = await fetchPage(before);
      // The whole page is looked at, not just up to the first known entry: ids made in the same
      // millisecond on two nodes need not arrive in order.
      let reachedShown = false;
      for (const entry of entries) {
        if (seen.has(entry.id)) reachedShown = true;
        else fresh.push(entry);
      }
      if (reachedShown || entries.length < FOLLOW_PAGE) return fresh;
      before = entries[entries.length - 1]?.id;
    }
    io.stderr.write(
      `warning: more than ${FOLLOW_MAX_PAGES * FOLLOW_PAGE} new entries since the last poll; showing the newest\n`,
    );
    return fresh;
  };
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
        show(await sinceLastSeen());
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
  for (const w of entry.warnings ?? []) io.stdout.write(`  warning: ${warningText(w)}\n`);
  if (!options.detailed) {
    for (const step of entry.steps ?? []) io.stdout.write(`  ${stepLine(step)}\n`);
    return;
  }
  printDetails(io, entry, "  ");
  for (const step of entry.steps ?? []) {
    io.stdout.write(`  ${stepLine(step)}\n`);
    printDetails(io, step, "    ");
  }
}

type Step = NonNullable<RunLogEntry["steps"]>[number];

function printDetails(io: CliIo, part: RunLogEntry | Step, indent: string): void {
  if (part.request) io.stdout.write(`${indent}request: ${part.request.method} ${part.request.url}\n`);
  if (part.response) io.stdout.write(`${indent}response: ${part.response.status}\n`);
  for (const line of part.console ?? []) io.stdout.write(`${indent}console.${line.level}: ${line.message}\n`);
  if (part.output !== undefined) io.stdout.write(`${indent}output: ${JSON.stringify(part.output)}\n`);
}

/** One step of a flow (X4): `step lookup (http) success 12 ms`, its error, whether it carried a secret. */
function stepLine(step: Step): string {
  const error = step.error ? `  ${step.error.code}: ${step.error.message}` : "";
  const carried = step.carriedSecret ? "  [carried a secret]" : "";
  return `step ${step.id} (${step.type}) ${step.status} ${step.durationMs} ms${error}${carried}`;
}

function warningText(w: NonNullable<RunLogEntry["warnings"]>[number]): string {
  if (w.code === "secret_in_output")
    return `step ${w.step ?? "?"} carried a secret value in its response or output; the steps after it could see it`;
  if (w.secrets) return `${w.code} (${w.secrets.join(", ")})`;
  return w.code;
}

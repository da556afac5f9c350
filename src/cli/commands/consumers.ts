/**
 * `integrations ...` and `logic ...` (and `flows ...`, flows.ts): consumers of a project. Definitions come from a JSON file (`--file`,
 * the API's shape without `id`), logic code from `--code-file`; a few flags override single fields.
 */
import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import type {
  CloakroomClient,
  Integration,
  IntegrationInput,
  LogicFunction,
  LogicFunctionInput,
  ProjectScope,
  RunInput,
  RunLogEntry,
} from "../../client/index.js";
import { resolveProjectScope, signedInClient } from "../context.js";
import { CliError, type CliIo, EXIT } from "../io.js";
import { printFields, printJson, printTable } from "../output.js";
import { parseJsonObject } from "../values.js";
import { printRunEntry } from "./events.js";

export interface Flags {
  org?: string;
  project?: string;
  json?: boolean;
}

interface DefinitionFlags extends Flags {
  file?: string;
  name?: string;
  event?: string;
  secret?: string[];
  enable?: boolean;
  disable?: boolean;
}

export interface RunFlags extends Flags {
  event?: string;
  data?: string;
  dataFile?: string;
}

const FILE_LIMIT = 1024 * 1024;

export function withProject(cmd: Command): Command {
  return cmd
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--project <slug>", "project (default: CLOAKROOM_PROJECT)")
    .option("--json", "print the API's JSON");
}

function withDefinition(cmd: Command): Command {
  return cmd
    .option("--file <path>", "definition as JSON (the API's shape, without id)")
    .option("--name <name>", "set the name")
    .option("--event <prefix>", "set the event filter (a prefix of event names; empty: every event)")
    .option("--secret <NAME>", "declare a secret (repeatable; replaces the file's list)", collect)
    .option("--enable", "set enabled")
    .option("--disable", "set disabled");
}

export function withRunEvent(cmd: Command): Command {
  return cmd
    .option("--event <name>", "the test event's name")
    .option("--data <json>", "the test event's data (JSON)")
    .option("--data-file <path>", "the test event's data from a JSON file");
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new CliError(`${path} is not a regular file`);
    if (st.size > FILE_LIMIT) throw new CliError(`${path} is larger than ${FILE_LIMIT} bytes`);
    return await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

async function definition(
  flags: DefinitionFlags,
  base: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const def: Record<string, unknown> = { ...base };
  if (flags.file) {
    const fromFile = parseJsonObject(
      await readTextFile(flags.file, "definition file"),
      `the file ${flags.file}`,
    );
    Object.assign(def, fromFile);
  }
  delete def.id;
  if (flags.name !== undefined) def.name = flags.name;
  if (flags.event !== undefined) def.event = flags.event;
  if (flags.secret !== undefined) def.secrets = flags.secret;
  if (flags.enable && flags.disable) throw new CliError("pass --enable or --disable, not both");
  if (flags.enable) def.enabled = true;
  if (flags.disable) def.enabled = false;
  return def;
}

export async function runInput(flags: RunFlags): Promise<RunInput> {
  if (flags.data !== undefined && flags.dataFile !== undefined)
    throw new CliError("pass --data or --data-file, not both");
  let data: unknown;
  if (flags.data !== undefined) data = parseJson(flags.data, "--data");
  if (flags.dataFile !== undefined)
    data = parseJson(await readTextFile(flags.dataFile, "data file"), flags.dataFile);
  if (flags.event === undefined && data === undefined) return {};
  return {
    event: {
      ...(flags.event !== undefined ? { name: flags.event } : {}),
      ...(data !== undefined ? { data } : {}),
    },
  };
}

export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${where} is not valid JSON`);
  }
}

export interface Kind<T extends { id: string; name: string }, I> {
  label: string;
  plural: string;
  api(client: CloakroomClient): {
    list(s: ProjectScope): Promise<T[]>;
    get(s: ProjectScope, id: string): Promise<T>;
    create(s: ProjectScope, input: I): Promise<T>;
    update(s: ProjectScope, id: string, input: I): Promise<T>;
    delete(s: ProjectScope, id: string): Promise<void>;
  };
  execute(client: CloakroomClient, s: ProjectScope, id: string, input: RunInput): Promise<RunLogEntry>;
  columns: { header: string; get(row: T): string }[];
  describe(row: T): [string, string][];
}

const integrationKind: Kind<Integration, IntegrationInput> = {
  label: "integration",
  plural: "integrations",
  api: (c) => c.integrations,
  execute: (c, s, id, input) => c.integrations.test(s, id, input),
  columns: [
    { header: "ID", get: (i) => i.id },
    { header: "NAME", get: (i) => i.name },
    { header: "EVENT", get: (i) => i.event || "*" },
    { header: "ENABLED", get: (i) => (i.enabled ? "yes" : "no") },
    { header: "REQUEST", get: (i) => `${i.request.method} ${i.request.url}` },
    { header: "SECRETS", get: (i) => i.secrets.join(", ") },
  ],
  describe: (i) => [
    ["id", i.id],
    ["name", i.name],
    ["event", i.event || "* (every event)"],
    ["enabled", i.enabled ? "yes" : "no"],
    ["secrets", i.secrets.join(", ") || "-"],
    ["method", i.request.method],
    ["url", i.request.url],
    ["headers", Object.keys(i.request.headers).join(", ") || "-"],
    ["query", Object.keys(i.request.query).join(", ") || "-"],
    ["body", i.request.body === null ? "-" : `${i.request.body.length} characters (template)`],
    ["basic auth", i.request.basicAuth ? "yes" : "no"],
    ["timeout", `${i.timeoutMs} ms`],
  ],
};

const logicKind: Kind<LogicFunction, LogicFunctionInput> = {
  label: "logic function",
  plural: "logic functions",
  api: (c) => c.logic,
  execute: (c, s, id, input) => c.logic.run(s, id, input),
  columns: [
    { header: "ID", get: (l) => l.id },
    { header: "NAME", get: (l) => l.name },
    { header: "EVENT", get: (l) => l.event || "*" },
    { header: "ENABLED", get: (l) => (l.enabled ? "yes" : "no") },
    { header: "SECRETS", get: (l) => l.secrets.join(", ") },
  ],
  describe: (l) => [
    ["id", l.id],
    ["name", l.name],
    ["event", l.event || "* (every event)"],
    ["enabled", l.enabled ? "yes" : "no"],
    ["secrets", l.secrets.join(", ") || "-"],
    ["limits", `${l.timeoutMs} ms, ${l.memoryMb} MiB`],
    ["code", `${l.code.split("\n").length} lines (--json shows it)`],
  ],
};

export function registerConsumers(program: Command, io: CliIo): void {
  registerKind(
    program.command("integrations").description("webhook integrations of a project"),
    io,
    integrationKind,
    {
      runVerb: "test",
      runHelp: "send a test event through an integration and show its redacted run log",
    },
  );
  registerKind(
    program.command("logic").description("logic functions (sandboxed JavaScript) of a project"),
    io,
    logicKind,
    {
      runVerb: "run",
      runHelp: "run a logic function on a test event and show its redacted run log",
      code: true,
    },
  );
}

export function registerKind<T extends { id: string; name: string }, I>(
  group: Command,
  io: CliIo,
  kind: Kind<T, I>,
  extra: { runVerb: string; runHelp: string; code?: boolean },
): void {
  const context = async (flags: Flags) => {
    const { client, session } = await signedInClient(io);
    return { client, scope: await resolveProjectScope(io, client, session, flags) };
  };
  /** By id, or by name when exactly one has it. */
  const find = async (client: CloakroomClient, scope: ProjectScope, which: string): Promise<T> => {
    const list = await kind.api(client).list(scope);
    const byId = list.find((x) => x.id === which);
    if (byId) return byId;
    const byName = list.filter((x) => x.name === which);
    if (byName.length === 1 && byName[0]) return byName[0];
    if (byName.length > 1)
      throw new CliError(`${byName.length} ${kind.plural} are named ${which}: pass the id`);
    throw new CliError(`no ${kind.label} ${which} in ${scope.org}/${scope.project}`);
  };
  const withCode = (cmd: Command) =>
    extra.code ? cmd.option("--code-file <path>", "the function's JavaScript module") : cmd;
  const applyCode = async (def: Record<string, unknown>, flags: { codeFile?: string }) => {
    if (flags.codeFile) def.code = await readTextFile(flags.codeFile, "code file");
  };

  withProject(group.command("list"))
    .description(`list the project's ${kind.plural}`)
    .action(async (flags: Flags) => {
      const { client, scope } = await context(flags);
      const list = await kind.api(client).list(scope);
      if (flags.json) return printJson(io, list);
      printTable(io, list, kind.columns, `no ${kind.plural} in ${scope.org}/${scope.project}`);
    });

  withProject(group.command("get <id>"))
    .description(`show a ${kind.label} (id or name)`)
    .action(async (which: string, flags: Flags) => {
      const { client, scope } = await context(flags);
      const item = await find(client, scope, which);
      if (flags.json) return printJson(io, item);
      printFields(io, kind.describe(item));
    });

  withCode(withDefinition(withProject(group.command("create"))))
    .description(`create a ${kind.label} from --file and the flags`)
    .action(async (flags: DefinitionFlags & { codeFile?: string }) => {
      const { client, scope } = await context(flags);
      const def = await definition(flags, {});
      await applyCode(def, flags);
      const item = await kind.api(client).create(scope, def as I);
      if (flags.json) return printJson(io, item);
      io.stdout.write(`created ${kind.label} ${item.name} (id ${item.id})\n`);
    });

  withCode(withDefinition(withProject(group.command("update <id>"))))
    .description(`replace a ${kind.label}'s definition; fields not in --file or the flags are kept`)
    .action(async (which: string, flags: DefinitionFlags & { codeFile?: string }) => {
      const { client, scope } = await context(flags);
      const current = await find(client, scope, which);
      const def = await definition(flags, current as unknown as Record<string, unknown>);
      await applyCode(def, flags);
      const item = await kind.api(client).update(scope, current.id, def as I);
      if (flags.json) return printJson(io, item);
      io.stdout.write(`updated ${kind.label} ${item.name} (id ${item.id})\n`);
    });

  withProject(group.command("delete <id>"))
    .description(`delete a ${kind.label} (id or name); its secrets' usage counts drop`)
    .action(async (which: string, flags: Flags) => {
      const { client, scope } = await context(flags);
      const item = await find(client, scope, which);
      await kind.api(client).delete(scope, item.id);
      if (flags.json) return printJson(io, { deleted: item.id });
      io.stdout.write(`deleted ${kind.label} ${item.name} (id ${item.id})\n`);
    });

  withRunEvent(withProject(group.command(`${extra.runVerb} <id>`)))
    .description(extra.runHelp)
    .action(async (which: string, flags: RunFlags) => {
      const input = await runInput(flags);
      const { client, scope } = await context(flags);
      const item = await find(client, scope, which);
      const entry = await kind.execute(client, scope, item.id, input);
      if (flags.json) printJson(io, entry);
      else printRunEntry(io, entry, { detailed: true });
      // The request succeeded but the run did not: exit 2, as --help says, so scripts can tell.
      if (entry.status === "failure")
        throw new CliError(`the run failed: ${entry.error?.code ?? "failure"}`, EXIT.api);
    });
}

/**
 * `integrations ...` and `logic ...` (and `flows ...`, flows.ts): consumers of a project. Definitions come from a JSON file (`--file`,
 * the API's shape without `id`), logic code from `--code-file`; a few flags override single fields.
 */
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
import { projectContext, type ScopeFlags, withProject } from "../context.js";
import { eventData, readJsonObjectFile, readTextFile } from "../files.js";
import { CliError, type CliIo, EXIT } from "../io.js";
import { type Columns, printFields, printJson } from "../output.js";
import { listAction, printResult } from "../verbs.js";
import { printRunEntry } from "./events.js";

interface DefinitionFlags extends ScopeFlags {
  file?: string;
  name?: string;
  event?: string;
  secret?: string[];
  enable?: boolean;
  disable?: boolean;
}

export interface RunFlags extends ScopeFlags {
  event?: string;
  data?: string;
  dataFile?: string;
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

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function definition(
  flags: DefinitionFlags,
  base: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const def: Record<string, unknown> = { ...base };
  if (flags.file) Object.assign(def, await readJsonObjectFile(flags.file, "definition file"));
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
  const data = await eventData(flags);
  if (flags.event === undefined && data === undefined) return {};
  return {
    event: {
      ...(flags.event !== undefined ? { name: flags.event } : {}),
      ...(data !== undefined ? { data } : {}),
    },
  };
}

/** What every consumer has: an id, a name, an event filter, a switch and the secrets it declares. */
interface Consumer {
  id: string;
  name: string;
  event: string;
  enabled: boolean;
  secrets: string[];
}

export interface Kind<T extends Consumer, I> {
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
  /** The kind's own columns, shown between ENABLED and SECRETS. */
  columns: Columns<T>;
  /** The kind's own fields, shown after the secrets. */
  describe(row: T): [string, string][];
}

const yesNo = (on: boolean) => (on ? "yes" : "no");

function consumerColumns<T extends Consumer>(own: Columns<T>): Columns<T> {
  const head: Columns<T> = { ID: (c) => c.id, NAME: (c) => c.name, EVENT: (c) => c.event || "*" };
  return { ...head, ENABLED: (c) => yesNo(c.enabled), ...own, SECRETS: (c) => c.secrets.join(", ") };
}

function consumerFields(c: Consumer, own: [string, string][]): [string, string][] {
  return [
    ["id", c.id],
    ["name", c.name],
    ["event", c.event || "* (every event)"],
    ["enabled", yesNo(c.enabled)],
    ["secrets", c.secrets.join(", ") || "-"],
    ...own,
  ];
}

const integrationKind: Kind<Integration, IntegrationInput> = {
  label: "integration",
  plural: "integrations",
  api: (c) => c.integrations,
  execute: (c, s, id, input) => c.integrations.test(s, id, input),
  columns: { REQUEST: (i) => `${i.request.method} ${i.request.url}` },
  describe: (i) => [
    ["method", i.request.method],
    ["url", i.request.url],
    ["headers", Object.keys(i.request.headers).join(", ") || "-"],
    ["query", Object.keys(i.request.query).join(", ") || "-"],
    ["body", i.request.body === null ? "-" : `${i.request.body.length} characters (template)`],
    ["basic auth", yesNo(Boolean(i.request.basicAuth))],
    ["timeout", `${i.timeoutMs} ms`],
  ],
};

const logicKind: Kind<LogicFunction, LogicFunctionInput> = {
  label: "logic function",
  plural: "logic functions",
  api: (c) => c.logic,
  execute: (c, s, id, input) => c.logic.run(s, id, input),
  columns: {},
  describe: (l) => [
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

/** By id, or by name when exactly one has it. */
type Finder<T> = (client: CloakroomClient, scope: ProjectScope, which: string) => Promise<T>;

/**
 * The commands of a consumer kind: list, get, create and update (from --file and the flags), delete, and
 * the run verb. Items are named by id, or by name when exactly one has it. Returns the maker of such
 * `<verb> <id>` commands, for the kind's own.
 */
export function registerKind<T extends Consumer, I>(
  group: Command,
  io: CliIo,
  kind: Kind<T, I>,
  extra: { runVerb: string; runHelp: string; code?: boolean },
) {
  const find: Finder<T> = async (client, scope, which) => {
    const list = await kind.api(client).list(scope);
    const byId = list.find((x) => x.id === which);
    if (byId) return byId;
    const byName = list.filter((x) => x.name === which);
    if (byName.length === 1 && byName[0]) return byName[0];
    if (byName.length > 1)
      throw new CliError(`${byName.length} ${kind.plural} are named ${which}: pass the id`);
    throw new CliError(`no ${kind.label} ${which} in ${scope.org}/${scope.project}`);
  };
  /**
   * `<verb> <id>`: the action gets the client, the scope and the item the argument names, and what
   * `prepare` read from the flags first (a test event), so a bad flag fails before any request.
   */
  const onItem = <F extends ScopeFlags, P = undefined>(
    usage: string,
    run: (
      target: { client: CloakroomClient; scope: ProjectScope; item: T },
      flags: F,
      prepared: P,
    ) => Promise<void>,
    prepare?: (flags: F) => Promise<P>,
  ) =>
    withProject(group.command(`${usage} <id>`)).action(async (which: string, flags: F) => {
      const prepared = (await prepare?.(flags)) as P;
      const { client, scope } = await projectContext(io, flags);
      await run({ client, scope, item: await find(client, scope, which) }, flags, prepared);
    });

  withProject(group.command("list"))
    .description(`list the project's ${kind.plural}`)
    .action(
      listAction(io, projectContext, {
        fetch: (ctx: { client: CloakroomClient; scope: ProjectScope }) =>
          kind.api(ctx.client).list(ctx.scope),
        columns: consumerColumns(kind.columns),
        empty: ({ scope }) => `no ${kind.plural} in ${scope.org}/${scope.project}`,
      }),
    );
  onItem("get", async ({ item }, flags) => {
    if (flags.json) return printJson(io, item);
    printFields(io, consumerFields(item, kind.describe(item)));
  }).description(`show a ${kind.label} (id or name)`);
  registerDefinitionCommands(group, io, kind, find, extra.code === true);
  onItem("delete", async ({ client, scope, item }, flags) => {
    await kind.api(client).delete(scope, item.id);
    printResult(io, flags, { deleted: item.id }, `deleted ${kind.label} ${item.name} (id ${item.id})\n`);
  }).description(`delete a ${kind.label} (id or name); its secrets' usage counts drop`);

  withRunEvent(
    onItem(
      extra.runVerb,
      async ({ client, scope, item }, flags: RunFlags, input: RunInput) => {
        const entry = await kind.execute(client, scope, item.id, input);
        if (flags.json) printJson(io, entry);
        else printRunEntry(io, entry, { detailed: true });
        // The request succeeded but the run did not: exit 2, as --help says, so scripts can tell.
        if (entry.status === "failure")
          throw new CliError(`the run failed: ${entry.error?.code ?? "failure"}`, EXIT.api);
      },
      runInput,
    ),
  ).description(extra.runHelp);
  return onItem;
}

/** `create` and `update <id>`: a definition from --file, the flags and (for logic) --code-file. */
function registerDefinitionCommands<T extends Consumer, I>(
  group: Command,
  io: CliIo,
  kind: Kind<T, I>,
  find: Finder<T>,
  code: boolean,
): void {
  type Flags = DefinitionFlags & { codeFile?: string };
  const withFlags = (cmd: Command) => {
    withDefinition(withProject(cmd));
    return code ? cmd.option("--code-file <path>", "the function's JavaScript module") : cmd;
  };
  const build = async (flags: Flags, base: Record<string, unknown>) => {
    const def = await definition(flags, base);
    if (flags.codeFile) def.code = await readTextFile(flags.codeFile, "code file");
    return def as I;
  };

  withFlags(group.command("create"))
    .description(`create a ${kind.label} from --file and the flags`)
    .action(async (flags: Flags) => {
      const { client, scope } = await projectContext(io, flags);
      const item = await kind.api(client).create(scope, await build(flags, {}));
      printResult(io, flags, item, `created ${kind.label} ${item.name} (id ${item.id})\n`);
    });

  withFlags(group.command("update <id>"))
    .description(`replace a ${kind.label}'s definition; fields not in --file or the flags are kept`)
    .action(async (which: string, flags: Flags) => {
      const { client, scope } = await projectContext(io, flags);
      const current = await find(client, scope, which);
      const def = await build(flags, current as unknown as Record<string, unknown>);
      const item = await kind.api(client).update(scope, current.id, def);
      printResult(io, flags, item, `updated ${kind.label} ${item.name} (id ${item.id})\n`);
    });
}

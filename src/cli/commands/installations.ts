/**
 * `apps list` and `installations ...` (SPEC X8, I3): the catalog, and a project's app installations by name.
 * Definitions come from a JSON file (`--file`, the API's shape); a secret field is `{"expr": "secrets.NAME"}`,
 * so no value ever passes through here. An action's input comes from `--input key=value` or `--input-file`.
 */
import type { Command } from "commander";
import type { ActionInput, Installation, InstallationInput } from "../../client/index.js";
import { projectContext, type ScopeFlags, signedInClient, withProject } from "../context.js";
import { parseJsonObject, readJsonObjectFile, readTextFile } from "../files.js";
import { CliError, type CliIo, EXIT } from "../io.js";
import { consumerLabel, printFields, printJson } from "../output.js";
import { listAction, printResult } from "../verbs.js";
import { collect } from "./consumers.js";
import { printRunEntry } from "./events.js";

interface FileFlags extends ScopeFlags {
  file?: string;
}

interface InvokeFlags extends ScopeFlags {
  input?: string[];
  inputFile?: string;
}

const describeValue = (v: Installation["config"][string]) =>
  typeof v === "string" ? v : `{expr: ${v.expr}}`;

async function fromFile(flags: FileFlags): Promise<InstallationInput> {
  if (!flags.file) throw new CliError("pass --file with the installation as JSON");
  return (await readJsonObjectFile(flags.file, "definition file")) as InstallationInput;
}

export function registerInstallations(program: Command, io: CliIo): void {
  program
    .command("apps")
    .description("the app catalog")
    .command("list")
    .option("--json", "print the API's JSON")
    .description("list the apps, their fields (secret ones marked) and actions")
    .action(
      listAction(io, signedInClient, {
        fetch: ({ client }) => client.apps.list(),
        columns: {
          APP: "id",
          FIELDS: (a) => a.fields.map((f) => (f.secret ? `${f.key} (secret)` : f.key)).join(", "),
          ACTIONS: (a) => a.actions.map((x) => x.id).join(", "),
        },
        empty: () => "no apps",
      }),
    );

  const group = program.command("installations").description("app installations of a project");
  withProject(group.command("list"))
    .description("list the project's installations")
    .action(
      listAction(io, projectContext, {
        fetch: ({ client, scope }) => client.installations.list(scope),
        columns: {
          NAME: "name",
          APP: "app",
          "BASE URL": (i) => i.baseUrl ?? "-",
          SECRETS: (i) => i.secrets.join(", "),
        },
        empty: ({ scope }) => `no installations in ${scope.org}/${scope.project}`,
      }),
    );
  withProject(group.command("get <name>"))
    .description("show an installation")
    .action(async (name: string, flags: ScopeFlags) => {
      const { client, scope } = await projectContext(io, flags);
      const item = await client.installations.get(scope, name);
      if (flags.json) return printJson(io, item);
      printFields(io, [
        ["name", item.name],
        ["app", item.app],
        ["base URL", item.baseUrl ?? "- (the app's)"],
        ["secrets", item.secrets.join(", ") || "-"],
        ["timeout", `${item.timeoutMs} ms`],
        ["used by", (item.usedBy ?? []).map((c) => consumerLabel(c)).join(", ") || "-"],
        ...Object.entries(item.config).map(([k, v]): [string, string] => [`config.${k}`, describeValue(v)]),
      ]);
    });
  registerChanges(group, io);
}

/** `create` and `update` from --file, `delete`, and `invoke` (an action, now). */
function registerChanges(group: Command, io: CliIo): void {
  withProject(group.command("create"))
    .option("--file <path>", "the installation as JSON (the API's shape)")
    .description("install an app from --file")
    .action(async (flags: FileFlags) => {
      const { client, scope } = await projectContext(io, flags);
      const item = await client.installations.create(scope, await fromFile(flags));
      printResult(io, flags, item, `created installation ${item.name} (${item.app})\n`);
    });
  withProject(group.command("update <name>"))
    .option("--file <path>", "the installation as JSON (the API's shape; its name stays)")
    .description("replace an installation's definition from --file")
    .action(async (name: string, flags: FileFlags) => {
      const { client, scope } = await projectContext(io, flags);
      const item = await client.installations.update(scope, name, { ...(await fromFile(flags)), name });
      printResult(io, flags, item, `updated installation ${item.name} (${item.app})\n`);
    });
  withProject(group.command("delete <name>"))
    .description("delete an installation; its secrets' usage counts drop")
    .action(async (name: string, flags: ScopeFlags) => {
      const { client, scope } = await projectContext(io, flags);
      await client.installations.delete(scope, name);
      printResult(io, flags, { deleted: name }, `deleted installation ${name}\n`);
    });
  withProject(group.command("invoke <name> <action>"))
    .option("--input <key=value>", "an input field (repeatable)", collect)
    .option("--input-file <path>", "the input as a JSON object of strings")
    .description("run an action of an installation now and show its redacted run log")
    .action(async (name: string, action: string, flags: InvokeFlags) => {
      const input = await actionInput(flags);
      const { client, scope } = await projectContext(io, flags);
      const entry = await client.installations.invoke(scope, name, action, input);
      if (flags.json) printJson(io, entry);
      else printRunEntry(io, entry, { detailed: true });
      if (entry.status === "failure")
        throw new CliError(`the action failed: ${entry.error?.code ?? "failure"}`, EXIT.api);
    });
}

async function actionInput(flags: InvokeFlags): Promise<ActionInput> {
  const input: Record<string, string> = {};
  if (flags.inputFile !== undefined) {
    const parsed = parseJsonObject(await readTextFile(flags.inputFile, "input file"), flags.inputFile);
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== "string") throw new CliError(`${flags.inputFile}: ${key} must be a string`);
      input[key] = value;
    }
  }
  for (const pair of flags.input ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliError("--input takes key=value");
    input[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return input;
}

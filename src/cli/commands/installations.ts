/**
 * `apps list` and `installations ...` (SPEC X8, I3): the catalog, and a project's app installations by name.
 * Definitions come from a JSON file (`--file`, the API's shape); a secret field is `{"expr": "secrets.NAME"}`,
 * so no value ever passes through here. An action's input comes from `--input key=value` or `--input-file`.
 */
import type { Command } from "commander";
import type {
  ActionInput,
  CloakroomClient,
  Installation,
  InstallationInput,
  ProjectScope,
} from "../../client/index.js";
import { resolveProjectScope, signedInClient } from "../context.js";
import { CliError, type CliIo, EXIT } from "../io.js";
import { printFields, printJson, printTable } from "../output.js";
import { parseJsonObject } from "../values.js";
import { readTextFile, withProject } from "./consumers.js";
import { printRunEntry } from "./events.js";

interface Flags {
  org?: string;
  project?: string;
  json?: boolean;
}

interface FileFlags extends Flags {
  file?: string;
}

interface InvokeFlags extends Flags {
  input?: string[];
  inputFile?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const describeValue = (v: Installation["config"][string]) =>
  typeof v === "string" ? v : `{expr: ${v.expr}}`;

export function registerInstallations(program: Command, io: CliIo): void {
  program
    .command("apps")
    .description("the app catalog")
    .command("list")
    .option("--json", "print the API's JSON")
    .description("list the apps, their fields (secret ones marked) and actions")
    .action(async (flags: { json?: boolean }) => {
      const { client } = await signedInClient(io);
      const apps = await client.apps.list();
      if (flags.json) return printJson(io, apps);
      printTable(
        io,
        apps,
        [
          { header: "APP", get: (a) => a.id },
          {
            header: "FIELDS",
            get: (a) => a.fields.map((f) => (f.secret ? `${f.key} (secret)` : f.key)).join(", "),
          },
          { header: "ACTIONS", get: (a) => a.actions.map((x) => x.id).join(", ") },
        ],
        "no apps",
      );
    });

  const group = program.command("installations").description("app installations of a project");
  const context = async (flags: Flags): Promise<{ client: CloakroomClient; scope: ProjectScope }> => {
    const { client, session } = await signedInClient(io);
    return { client, scope: await resolveProjectScope(io, client, session, flags) };
  };
  const fromFile = async (flags: FileFlags) => {
    if (!flags.file) throw new CliError("pass --file with the installation as JSON");
    return parseJsonObject(await readTextFile(flags.file, "definition file"), `the file ${flags.file}`);
  };

  withProject(group.command("list"))
    .description("list the project's installations")
    .action(async (flags: Flags) => {
      const { client, scope } = await context(flags);
      const list = await client.installations.list(scope);
      if (flags.json) return printJson(io, list);
      printTable(
        io,
        list,
        [
          { header: "NAME", get: (i) => i.name },
          { header: "APP", get: (i) => i.app },
          { header: "BASE URL", get: (i) => i.baseUrl ?? "-" },
          { header: "SECRETS", get: (i) => i.secrets.join(", ") },
        ],
        `no installations in ${scope.org}/${scope.project}`,
      );
    });

  withProject(group.command("get <name>"))
    .description("show an installation")
    .action(async (name: string, flags: Flags) => {
      const { client, scope } = await context(flags);
      const item = await client.installations.get(scope, name);
      if (flags.json) return printJson(io, item);
      printFields(io, [
        ["name", item.name],
        ["app", item.app],
        ["base URL", item.baseUrl ?? "- (the app's)"],
        ["secrets", item.secrets.join(", ") || "-"],
        ...Object.entries(item.config).map(([k, v]): [string, string] => [`config.${k}`, describeValue(v)]),
      ]);
    });

  withProject(group.command("create"))
    .option("--file <path>", "the installation as JSON (the API's shape)")
    .description("install an app from --file")
    .action(async (flags: FileFlags) => {
      const { client, scope } = await context(flags);
      const item = await client.installations.create(scope, (await fromFile(flags)) as InstallationInput);
      if (flags.json) return printJson(io, item);
      io.stdout.write(`created installation ${item.name} (${item.app})\n`);
    });

  withProject(group.command("update <name>"))
    .option("--file <path>", "the installation as JSON (the API's shape; its name stays)")
    .description("replace an installation's definition from --file")
    .action(async (name: string, flags: FileFlags) => {
      const { client, scope } = await context(flags);
      const def = { ...(await fromFile(flags)), name };
      const item = await client.installations.update(scope, name, def as InstallationInput);
      if (flags.json) return printJson(io, item);
      io.stdout.write(`updated installation ${item.name} (${item.app})\n`);
    });

  withProject(group.command("delete <name>"))
    .description("delete an installation; its secrets' usage counts drop")
    .action(async (name: string, flags: Flags) => {
      const { client, scope } = await context(flags);
      await client.installations.delete(scope, name);
      if (flags.json) return printJson(io, { deleted: name });
      io.stdout.write(`deleted installation ${name}\n`);
    });

  withProject(group.command("invoke <name> <action>"))
    .option("--input <key=value>", "an input field (repeatable)", collect)
    .option("--input-file <path>", "the input as a JSON object of strings")
    .description("run an action of an installation now and show its redacted run log")
    .action(async (name: string, action: string, flags: InvokeFlags) => {
      const input = await actionInput(flags);
      const { client, scope } = await context(flags);
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

/**
 * `secrets ...` (SPEC I3, S1-S9). Values come from standard input, a hidden prompt or --from-file, never
 * from an argument: there is no --value option, and `runCli` refuses one before parsing.
 */
import { type Command, Option } from "commander";
import type { CloakroomClient, Scope, SecretMetadata, SecretType, Visibility } from "../../client/index.js";
import { confirmOrStop } from "../confirm.js";
import { type ScopeFlags, scopeContext, withProject } from "../context.js";
import { CliError, type CliIo } from "../io.js";
import { consumerLabel, printFields, printJson, printTable, shortTime } from "../output.js";
import { readSecretValue } from "../values.js";
import { listAction, printResult } from "../verbs.js";
import { integer } from "./orgs.js";

const VALUE_FORMATS = `
Value formats (standard input or --from-file; one trailing line break is dropped):
  token              the text
  username_password  two lines (username, then password) or {"username": "...", "password": "..."}
  json               a JSON object
On a terminal you are prompted instead, without echo (a username is echoed).`;

const withScope = (cmd: Command) => withProject(cmd, "the project's scope instead of the organization's");

const fromFile = () =>
  new Option("--from-file <path>", "read the value from a file ('-' for standard input)");

/** `secrets <verb> <name>` with the scope flags: `run` gets the client, the scope and the secret's name. */
function onSecret<F extends ScopeFlags>(
  secrets: Command,
  io: CliIo,
  usage: string,
  run: (target: { client: CloakroomClient; scope: Scope; name: string }, opts: F) => Promise<void>,
): Command {
  return withScope(secrets.command(`${usage} <name>`)).action(async (name: string, opts: F) =>
    run({ ...(await scopeContext(io, opts)), name }, opts),
  );
}

function where(scope: Scope): string {
  return scope.project ? `${scope.org}/${scope.project}` : scope.org;
}

export function registerSecrets(program: Command, io: CliIo): void {
  const secrets = program
    .command("secrets")
    .description("write-only secrets: create, rotate, archive, delete; values are never shown");

  registerReading(secrets, io);
  registerWriting(secrets, io);
  registerLifecycle(secrets, io);
}

/** `list` and `get`: metadata, never a value. */
function registerReading(secrets: Command, io: CliIo): void {
  withScope(secrets.command("list"))
    .description("list secrets (metadata only)")
    .option("--archived", "list archived secrets instead")
    .action(
      listAction(io, scopeContext, {
        fetch: ({ client, scope }, opts: ScopeFlags & { archived?: boolean }) =>
          client.secrets.list(scope, { archived: opts.archived === true }),
        json: (list) => ({ secrets: list }),
        columns: {
          NAME: "name",
          TYPE: "type",
          SCOPE: (s) => (s.overrides ? `${s.scope} (overrides org)` : s.scope),
          USAGE: (s) => String(s.usageCount),
          VERSION: (s) => String(s.version),
          UPDATED: (s) => shortTime(s.updatedAt),
          "LAST ACCESSED": (s) => lastAccessed(s),
        },
        empty: ({ scope }, opts) =>
          opts.archived ? `no archived secrets in ${where(scope)}` : `no secrets in ${where(scope)}`,
      }),
    );

  onSecret(secrets, io, "get", async ({ client, scope, name }, opts) => {
    const s = await client.secrets.get(scope, name);
    if (opts.json) return printJson(io, s);
    printMetadata(io, s);
  }).description("show a secret's metadata and the consumers that use it (never the value)");
}

/** `create` and `update`: the value read from a file, standard input or a hidden prompt (cli/values.ts). */
function registerWriting(secrets: Command, io: CliIo): void {
  onSecret(secrets, io, "create", async ({ client, scope, name }, opts: CreateFlags) => {
    const value = await readSecretValue(io, opts.type, { fromFile: opts.fromFile });
    const s = await client.secrets.create(scope, {
      name,
      type: opts.type,
      value,
      visibility: opts.visibility,
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      ...(opts.allowedHosts !== undefined ? { allowedHosts: hostList(opts.allowedHosts) } : {}),
    });
    printResult(
      io,
      opts,
      s,
      `created ${s.type} secret ${s.name} in ${where(scope)} (version ${s.version})\n`,
    );
  })
    .description("create a secret; the value comes from standard input, a hidden prompt or --from-file")
    .addOption(
      new Option("--type <type>", "fixed at creation")
        .choices(["token", "username_password", "json"])
        .default("token"),
    )
    .addOption(
      new Option("--visibility <visibility>", "masked: owners and admins may reveal it; fixed at creation")
        .choices(["restricted", "masked"])
        .default("restricted"),
    )
    .option("--description <text>", "what the secret is for (never the value)")
    .option(
      "--allowed-hosts <hosts>",
      "comma-separated hosts the value may be sent to (*.example.com for subdomains; owners and admins)",
    )
    .addOption(fromFile())
    .addHelpText("after", VALUE_FORMATS);

  onSecret(secrets, io, "update", async ({ client, scope, name }, opts: UpdateFlags) => {
    if (opts.descriptionOnly) {
      if (opts.description === undefined) throw new CliError("--description-only needs --description TEXT");
      const s = await client.secrets.patch(scope, name, { description: opts.description });
      return printResult(io, opts, s, `updated the description of ${s.name}\n`);
    }
    // The type decides how the input is read; it is fixed at creation, so ask the server.
    const current = await client.secrets.get(scope, name);
    const value = await readSecretValue(io, current.type, { fromFile: opts.fromFile });
    let s = await client.secrets.updateValue(scope, name, {
      value,
      ...(opts.expectedVersion !== undefined ? { expectedVersion: opts.expectedVersion } : {}),
    });
    if (opts.description !== undefined) {
      s = await client.secrets.patch(scope, name, { description: opts.description });
    }
    printResult(io, opts, s, `updated ${s.name}: now version ${s.version}\n`);
  })
    .description("write a new value (a new version); every consumer uses it on its next run")
    .option("--expected-version <n>", "fail with version_conflict unless the current version is n", (v) =>
      integer(v, "--expected-version"),
    )
    .option("--description <text>", "also change the description")
    .option("--description-only", "change only the description; read no value")
    .addOption(fromFile())
    .addHelpText("after", VALUE_FORMATS);
}

interface CreateFlags extends ScopeFlags {
  type: SecretType;
  visibility: Visibility;
  description?: string;
  allowedHosts?: string;
  fromFile?: string;
}

interface UpdateFlags extends ScopeFlags {
  expectedVersion?: number;
  description?: string;
  descriptionOnly?: boolean;
  fromFile?: string;
}

const hostList = (text: string) =>
  text
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");

/** `archive`, `restore`, `delete`, `versions`, `rollback` and `reveal`. */
function registerLifecycle(secrets: Command, io: CliIo): void {
  onSecret(secrets, io, "archive", async ({ client, scope, name }, opts: ScopeFlags & { yes?: boolean }) => {
    const current = await client.secrets.get(scope, name);
    const users = (current.usedBy ?? []).map((c) => consumerLabel(c));
    if (users.length > 0 || current.usageCount > 0) {
      io.stderr.write(
        `warning: archiving ${name} stops ${users.length > 0 ? users.join(", ") : `${current.usageCount} consumer(s)`}: ` +
          "their runs fail with secret_archived until you restore it\n",
      );
      await confirmOrStop(io, {
        yes: opts.yes,
        question: `archive ${name} in ${where(scope)}?`,
        action: `archiving ${name}, which consumers use,`,
      });
    }
    const s = await client.secrets.archive(scope, name);
    printResult(io, opts, s, `archived ${s.name}\n`);
  })
    .description(
      "archive a secret: hidden from the list, and consumers that use it stop working until restored",
    )
    .option("--yes", "archive without asking, even when consumers use the secret");

  onSecret(secrets, io, "restore", async ({ client, scope, name }, opts) => {
    const s = await client.secrets.restore(scope, name);
    printResult(io, opts, s, `restored ${s.name}\n`);
  }).description("restore an archived secret");

  onSecret(secrets, io, "delete", async ({ client, scope, name }, opts: ScopeFlags & { yes?: boolean }) => {
    await confirmOrStop(io, {
      yes: opts.yes,
      question: `delete ${name} from ${where(scope)} and destroy every version of its value?`,
      action: `deleting ${name}`,
    });
    await client.secrets.delete(scope, name);
    printResult(io, opts, { deleted: name }, `deleted ${name}\n`);
  })
    .description("delete a secret and destroy its values (refused while consumers use it); asks first")
    .option("--yes", "delete without asking (for scripts)");

  registerVersions(secrets, io);
}

/** `versions`, `rollback` and `reveal`. */
function registerVersions(secrets: Command, io: CliIo): void {
  onSecret(secrets, io, "versions", async ({ client, scope, name }, opts) => {
    const versions = await client.secrets.versions(scope, name);
    if (opts.json) return printJson(io, { versions });
    printTable(
      io,
      versions,
      {
        VERSION: (v) => `${v.version}${v.current ? " (current)" : ""}`,
        CREATED: (v) => shortTime(v.createdAt),
        BY: "createdBy",
      },
      `no versions of ${name}`,
    );
  }).description("list a secret's kept versions (values are never viewable)");

  withScope(secrets.command("rollback <name> <version>"))
    .description("make an earlier version current again (writes a new version)")
    .action(async (name: string, versionArg: string, opts: ScopeFlags) => {
      const version = integer(versionArg, "the version");
      const { client, scope } = await scopeContext(io, opts);
      const s = await client.secrets.rollback(scope, name, { version });
      printResult(io, opts, s, `rolled ${s.name} back to version ${version}: now version ${s.version}\n`);
    });

  onSecret(secrets, io, "reveal", async ({ client, scope, name }, opts) => {
    const { value } = await client.secrets.reveal(scope, name);
    printResult(io, opts, { value }, typeof value === "string" ? `${value}\n` : `${JSON.stringify(value)}\n`);
  }).description("print a masked secret's value (owners and admins; every reveal is audited)");
}

function lastAccessed(s: SecretMetadata): string {
  if (!s.lastAccessedAt) return "never";
  const by = consumerLabel(s.lastAccessedBy);
  return by ? `${shortTime(s.lastAccessedAt)} by ${by}` : shortTime(s.lastAccessedAt);
}

function printMetadata(io: CliIo, s: SecretMetadata): void {
  const usedBy = s.usedBy ?? [];
  printFields(io, [
    ["name", s.name],
    ["type", s.type],
    ["visibility", s.visibility],
    ["description", s.description || "-"],
    ["allowed hosts", s.allowedHosts.join(", ") || "any"],
    ["scope", s.overrides ? `${s.scope} (overrides the organization secret)` : s.scope],
    ["version", String(s.version)],
    ["archived", s.archived ? "yes" : "no"],
    ["usage count", String(s.usageCount)],
    ["used by", usedBy.map((c) => consumerLabel(c)).join(", ") || "-"],
    ["created", shortTime(s.createdAt)],
    ["updated", `${shortTime(s.updatedAt)} by ${s.updatedBy}`],
    ["last accessed", lastAccessed(s)],
  ]);
}

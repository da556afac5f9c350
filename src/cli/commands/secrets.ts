/**
 * `secrets ...` (SPEC I3, S1-S9). Values come from standard input, a hidden prompt or --from-file, never
 * from an argument: there is no --value option, and `runCli` refuses one before parsing.
 */
import { type Command, Option } from "commander";
import type { CloakroomClient, Scope, SecretMetadata, SecretType, Visibility } from "../../client/index.js";
import { confirmOrStop } from "../confirm.js";
import { resolveScope, signedInClient } from "../context.js";
import { CliError, type CliIo } from "../io.js";
import { consumerLabel, printFields, printJson, printTable, shortTime } from "../output.js";
import { readSecretValue } from "../values.js";
import { integer } from "./orgs.js";

const VALUE_FORMATS = `
Value formats (standard input or --from-file; one trailing line break is dropped):
  token              the text
  username_password  two lines (username, then password) or {"username": "...", "password": "..."}
  json               a JSON object
On a terminal you are prompted instead, without echo (a username is echoed).`;

interface ScopeFlags {
  org?: string;
  project?: string;
  json?: boolean;
}

function withScope(cmd: Command): Command {
  return cmd
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--project <slug>", "the project's scope instead of the organization's")
    .option("--json", "print the API's JSON");
}

const fromFile = () =>
  new Option("--from-file <path>", "read the value from a file ('-' for standard input)");

async function scoped(io: CliIo, flags: ScopeFlags): Promise<{ client: CloakroomClient; scope: Scope }> {
  const { client, session } = await signedInClient(io);
  return { client, scope: await resolveScope(io, client, session, flags) };
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
    .action(async (opts: ScopeFlags & { archived?: boolean }) => {
      const { client, scope } = await scoped(io, opts);
      const list = await client.secrets.list(scope, { archived: opts.archived === true });
      if (opts.json) return printJson(io, { secrets: list });
      printTable(
        io,
        list,
        [
          { header: "NAME", get: (s) => s.name },
          { header: "TYPE", get: (s) => s.type },
          { header: "SCOPE", get: (s) => (s.overrides ? `${s.scope} (overrides org)` : s.scope) },
          { header: "USAGE", get: (s) => String(s.usageCount) },
          { header: "VERSION", get: (s) => String(s.version) },
          { header: "UPDATED", get: (s) => shortTime(s.updatedAt) },
          { header: "LAST ACCESSED", get: (s) => lastAccessed(s) },
        ],
        opts.archived ? `no archived secrets in ${where(scope)}` : `no secrets in ${where(scope)}`,
      );
    });

  withScope(secrets.command("get <name>"))
    .description("show a secret's metadata and the consumers that use it (never the value)")
    .action(async (name: string, opts: ScopeFlags) => {
      const { client, scope } = await scoped(io, opts);
      const s = await client.secrets.get(scope, name);
      if (opts.json) return printJson(io, s);
      printMetadata(io, s);
    });
}

/** `create` and `update`: the value read from a file, standard input or a hidden prompt (cli/values.ts). */
function registerWriting(secrets: Command, io: CliIo): void {
  withScope(secrets.command("create <name>"))
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
    .addHelpText("after", VALUE_FORMATS)
    .action(
      async (
        name: string,
        opts: ScopeFlags & {
          type: SecretType;
          visibility: Visibility;
          description?: string;
          allowedHosts?: string;
          fromFile?: string;
        },
      ) => {
        const { client, scope } = await scoped(io, opts);
        const value = await readSecretValue(io, opts.type, { fromFile: opts.fromFile });
        const s = await client.secrets.create(scope, {
          name,
          type: opts.type,
          value,
          visibility: opts.visibility,
          ...(opts.description !== undefined ? { description: opts.description } : {}),
          ...(opts.allowedHosts !== undefined
            ? {
                allowedHosts: opts.allowedHosts
                  .split(",")
                  .map((h) => h.trim())
                  .filter((h) => h !== ""),
              }
            : {}),
        });
        if (opts.json) return printJson(io, s);
        io.stdout.write(`created ${s.type} secret ${s.name} in ${where(scope)} (version ${s.version})\n`);
      },
    );

  withScope(secrets.command("update <name>"))
    .description("write a new value (a new version); every consumer uses it on its next run")
    .option("--expected-version <n>", "fail with version_conflict unless the current version is n", (v) =>
      integer(v, "--expected-version"),
    )
    .option("--description <text>", "also change the description")
    .option("--description-only", "change only the description; read no value")
    .addOption(fromFile())
    .addHelpText("after", VALUE_FORMATS)
    .action(
      async (
        name: string,
        opts: ScopeFlags & {
          expectedVersion?: number;
          description?: string;
          descriptionOnly?: boolean;
          fromFile?: string;
        },
      ) => {
        const { client, scope } = await scoped(io, opts);
        if (opts.descriptionOnly) {
          if (opts.description === undefined)
            throw new CliError("--description-only needs --description TEXT");
          const s = await client.secrets.patch(scope, name, { description: opts.description });
          if (opts.json) return printJson(io, s);
          io.stdout.write(`updated the description of ${s.name}\n`);
          return;
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
        if (opts.json) return printJson(io, s);
        io.stdout.write(`updated ${s.name}: now version ${s.version}\n`);
      },
    );
}

/** `archive`, `restore`, `delete`, `versions`, `rollback` and `reveal`. */
function registerLifecycle(secrets: Command, io: CliIo): void {
  withScope(secrets.command("archive <name>"))
    .description(
      "archive a secret: hidden from the list, and consumers that use it stop working until restored",
    )
    .option("--yes", "archive without asking, even when consumers use the secret")
    .action(async (name: string, opts: ScopeFlags & { yes?: boolean }) => {
      const { client, scope } = await scoped(io, opts);
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
      if (opts.json) return printJson(io, s);
      io.stdout.write(`archived ${s.name}\n`);
    });

  withScope(secrets.command("restore <name>"))
    .description("restore an archived secret")
    .action(async (name: string, opts: ScopeFlags) => {
      const { client, scope } = await scoped(io, opts);
      const s = await client.secrets.restore(scope, name);
      if (opts.json) return printJson(io, s);
      io.stdout.write(`restored ${s.name}\n`);
    });

  withScope(secrets.command("delete <name>"))
    .description("delete a secret and destroy its values (refused while consumers use it); asks first")
    .option("--yes", "delete without asking (for scripts)")
    .action(async (name: string, opts: ScopeFlags & { yes?: boolean }) => {
      const { client, scope } = await scoped(io, opts);
      await confirmOrStop(io, {
        yes: opts.yes,
        question: `delete ${name} from ${where(scope)} and destroy every version of its value?`,
        action: `deleting ${name}`,
      });
      await client.secrets.delete(scope, name);
      if (opts.json) return printJson(io, { deleted: name });
      io.stdout.write(`deleted ${name}\n`);
    });

  withScope(secrets.command("versions <name>"))
    .description("list a secret's kept versions (values are never viewable)")
    .action(async (name: string, opts: ScopeFlags) => {
      const { client, scope } = await scoped(io, opts);
      const versions = await client.secrets.versions(scope, name);
      if (opts.json) return printJson(io, { versions });
      printTable(
        io,
        versions,
        [
          { header: "VERSION", get: (v) => `${v.version}${v.current ? " (current)" : ""}` },
          { header: "CREATED", get: (v) => shortTime(v.createdAt) },
          { header: "BY", get: (v) => v.createdBy },
        ],
        `no versions of ${name}`,
      );
    });

  withScope(secrets.command("rollback <name> <version>"))
    .description("make an earlier version current again (writes a new version)")
    .action(async (name: string, versionArg: string, opts: ScopeFlags) => {
      const version = integer(versionArg, "the version");
      const { client, scope } = await scoped(io, opts);
      const s = await client.secrets.rollback(scope, name, { version });
      if (opts.json) return printJson(io, s);
      io.stdout.write(`rolled ${s.name} back to version ${version}: now version ${s.version}\n`);
    });

  withScope(secrets.command("reveal <name>"))
    .description("print a masked secret's value (owners and admins; every reveal is audited)")
    .action(async (name: string, opts: ScopeFlags) => {
      const { client, scope } = await scoped(io, opts);
      const { value } = await client.secrets.reveal(scope, name);
      if (opts.json) return printJson(io, { value });
      io.stdout.write(typeof value === "string" ? `${value}\n` : `${JSON.stringify(value)}\n`);
    });
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

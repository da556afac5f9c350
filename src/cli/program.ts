/**
 * The `cloakroom` command line (SPEC I3): builds the commander program and maps every failure to one line
 * on standard error and an exit code. Server-side commands (serve, audit verify, keys rotate) load the
 * server code lazily, so client commands start fast.
 */
import { Command, CommanderError } from "commander";
import { CloakroomApiError, CloakroomNetworkError } from "../client/index.js";
import { version } from "../version.js";
import { registerAudit } from "./commands/audit.js";
import { registerAuth } from "./commands/auth.js";
import { registerConsumers } from "./commands/consumers.js";
import { registerEvents } from "./commands/events.js";
import { registerFlows } from "./commands/flows.js";
import { registerInstallations } from "./commands/installations.js";
import { registerKeys } from "./commands/keys.js";
import { registerOrgs } from "./commands/orgs.js";
import { registerSecrets } from "./commands/secrets.js";
import { registerServe } from "./commands/serve.js";
import { registerTemplates } from "./commands/templates.js";
import { CliError, type CliIo, EXIT } from "./io.js";

const EPILOGUE = `
Secret values are read from standard input, a hidden prompt (on a terminal) or --from-file PATH; never
from the command line, where shell history and process listings would keep them.

Environment:
  CLOAKROOM_URL, CLOAKROOM_TOKEN   server and token (override the config file)
  CLOAKROOM_ORG, CLOAKROOM_PROJECT default organization and project
  CLOAKROOM_CONFIG                 config file (default ~/.config/cloakroom/config.json)
  serve also reads CLOAKROOM_HOST, CLOAKROOM_PORT, CLOAKROOM_DATA_DIR, DATABASE_URL,
  CLOAKROOM_ROOT_KEY, CLOAKROOM_ALLOW_PRIVATE_TARGETS, CLOAKROOM_LOG_LEVEL

Exit codes:
  0  success
  1  usage, configuration, file or network error
  2  the server refused the request (printed as "error: <code>: <message>"), or the run that
     logic run / integrations test / flows test started failed
  3  verification failed (audit verify found an edited, removed or reordered entry)
  130 cancelled at a prompt
`;

/** Options that would carry a value on the command line. They do not exist; say why instead of "unknown". */
const REFUSED_OPTIONS = ["--value", "--password"];

/**
 * The program with every command, or with `serve` alone when that is what runs: a server's start does not
 * wait for the client commands to be declared (decision 0275). `serve --help` and serve's errors read the
 * same either way.
 */
export function buildProgram(io: CliIo, only?: "serve"): Command {
  const program = new Command("cloakroom")
    .description("Cloakroom: write-only secrets for integrations and automations")
    .version(version, "-V, --version")
    .showSuggestionAfterError(true)
    .addHelpText("after", EPILOGUE)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander quotes unknown options as typed, `--foo=<whatever>` included: keep the flag, drop the rest.
      outputError: (s, write) => {
        write(s.replace(/'(--?[A-Za-z0-9][A-Za-z0-9-]*)=[^']*'/g, "'$1=...'"));
        if (s.includes("too many arguments")) {
          write(
            "(values are never taken from arguments: pipe them on standard input, type them at the prompt, or use --from-file PATH)\n",
          );
        }
      },
    });

  registerServe(program, io);
  if (only !== "serve") {
    registerAuth(program, io);
    registerOrgs(program, io);
    registerSecrets(program, io);
    registerConsumers(program, io);
    registerTemplates(program, io);
    registerFlows(program, io);
    registerInstallations(program, io);
    registerEvents(program, io);
    registerAudit(program, io);
    registerKeys(program, io);
  }

  // Every subcommand inherits the error handling and output routing of the root.
  const configure = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride();
      sub.configureOutput(program.configureOutput());
      sub.showSuggestionAfterError(true);
      configure(sub);
    }
  };
  configure(program);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const refused = argv.find((a) => REFUSED_OPTIONS.some((o) => a === o || a.startsWith(`${o}=`)));
  if (refused !== undefined) {
    const flag = refused.split("=")[0];
    io.stderr.write(
      `error: ${flag} is refused: secret values and passwords are never taken from the command line, where ` +
        "shell history and process listings keep them. Pipe the value on standard input, type it at the " +
        "prompt, or use --from-file PATH.\n",
    );
    return EXIT.usage;
  }
  const program = buildProgram(io, argv[0] === "serve" ? "serve" : undefined);
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}

export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CliError) {
    io.stderr.write(`error: ${oneLine(error.message)}\n`);
    return error.exitCode;
  }
  if (error instanceof CloakroomApiError) {
    io.stderr.write(`error: ${error.code}: ${oneLine(error.message)}\n`);
    for (const line of detailLines(error)) io.stderr.write(`  ${line}\n`);
    return EXIT.api;
  }
  if (error instanceof CloakroomNetworkError) {
    io.stderr.write(`error: ${oneLine(error.message)}\n`);
    return EXIT.usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`error: ${oneLine(message)}\n`);
  if (io.env.CLOAKROOM_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return EXIT.usage;
}

/** What the server put in `details` that helps the user act: the bad fields, the consumers in the way. */
function detailLines(error: CloakroomApiError): string[] {
  const details = error.details ?? {};
  const lines: string[] = [];
  const fields = details.fields;
  if (Array.isArray(fields)) {
    for (const f of fields) {
      const field = (f as { field?: unknown }).field;
      const message = (f as { message?: unknown }).message;
      if (typeof field === "string")
        lines.push(`${field}: ${typeof message === "string" ? message : "invalid"}`);
    }
  }
  const usedBy = details.usedBy;
  if (Array.isArray(usedBy) && usedBy.length > 0) {
    const names = usedBy.map((c) => {
      const ref = c as { kind?: unknown; name?: unknown; id?: unknown };
      return `${String(ref.kind ?? "consumer")}/${String(ref.name ?? ref.id ?? "?")}`;
    });
    lines.push(`used by: ${names.join(", ")}`);
  }
  for (const key of ["missing", "undeclared"]) {
    const list = details[key];
    if (Array.isArray(list) && list.length > 0) lines.push(`${key}: ${list.map(String).join(", ")}`);
  }
  if (typeof details.currentVersion === "number") lines.push(`current version: ${details.currentVersion}`);
  return lines.map(oneLine);
}

export function oneLine(text: string): string {
  const parts = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return parts.reduce(
    (line, part) => (line === "" ? part : `${line}${line.endsWith(":") ? " " : "; "}${part}`),
    "",
  );
}

/**
 * `templates ...`: message templates of a project (SPEC X5). The life cycle and `test` are the consumers'
 * commands (a definition from `--file`, the API's shape without `id`); `preview` renders with
 * `[[SENSITIVE]]` for every secret, and `macros` lists what the Macro Manager offers.
 */
import type { Command } from "commander";
import type {
  CloakroomClient,
  MessageTemplate,
  MessageTemplateInput,
  ProjectScope,
} from "../../client/index.js";
import { resolveProjectScope, signedInClient } from "../context.js";
import { CliError, type CliIo } from "../io.js";
import { printJson, printTable } from "../output.js";
import {
  type Flags,
  type Kind,
  type RunFlags,
  registerKind,
  runInput,
  withProject,
  withRunEvent,
} from "./consumers.js";

const channelText = (t: MessageTemplate): string =>
  t.channel.type === "webhook"
    ? `webhook ${t.channel.method} ${t.channel.url}`
    : `email ${t.channel.smtp.host}:${t.channel.smtp.port} to ${t.channel.to.join(", ")}`;

const templateKind: Kind<MessageTemplate, MessageTemplateInput> = {
  label: "template",
  plural: "templates",
  api: (c) => c.templates,
  execute: (c, s, id, input) => c.templates.test(s, id, input),
  columns: [
    { header: "ID", get: (t) => t.id },
    { header: "NAME", get: (t) => t.name },
    { header: "EVENT", get: (t) => t.event || "*" },
    { header: "ENABLED", get: (t) => (t.enabled ? "yes" : "no") },
    { header: "CHANNEL", get: channelText },
    { header: "SECRETS", get: (t) => t.secrets.join(", ") },
  ],
  describe: (t) => [
    ["id", t.id],
    ["name", t.name],
    ["event", t.event || "* (every event)"],
    ["enabled", t.enabled ? "yes" : "no"],
    ["secrets", t.secrets.join(", ") || "-"],
    ["channel", channelText(t)],
    ["subject", t.subject ?? "-"],
    ["body", `${t.body.length} characters (--json shows it)`],
  ],
};

export function registerTemplates(program: Command, io: CliIo): void {
  const group = program.command("templates").description("message templates of a project (webhook or email)");
  registerKind(group, io, templateKind, {
    runVerb: "test",
    runHelp: "send a template's message once, now, and show its redacted run log",
  });
  const context = async (flags: Flags) => {
    const { client, session } = await signedInClient(io);
    return { client, scope: await resolveProjectScope(io, client, session, flags) };
  };

  withRunEvent(withProject(group.command("preview <id>")))
    .description(
      "render a template's subject and body with [[SENSITIVE]] for every secret (no value is read)",
    )
    .action(async (which: string, flags: RunFlags) => {
      const input = await runInput(flags);
      const { client, scope } = await context(flags);
      const template = await find(client, scope, which);
      const preview = await client.templates.preview(scope, template.id, input);
      if (flags.json) return printJson(io, preview);
      if (preview.subject !== null) io.stdout.write(`Subject: ${preview.subject}\n\n`);
      io.stdout.write(`${preview.body}\n`);
    });

  withProject(group.command("macros"))
    .description("list the macros a project's templates may use (the Macro Manager): names, never values")
    .action(async (flags: Flags) => {
      const { client, scope } = await context(flags);
      const macros = await client.templates.macros(scope);
      if (flags.json) return printJson(io, macros);
      printTable(
        io,
        macros,
        [
          { header: "CATEGORY", get: (m) => m.category },
          { header: "NAME", get: (m) => m.name },
          { header: "INSERT", get: (m) => m.insert },
        ],
        "no macros",
      );
    });
}

/** By id, or by name when exactly one has it. */
async function find(client: CloakroomClient, scope: ProjectScope, which: string): Promise<MessageTemplate> {
  const list = await client.templates.list(scope);
  const byName = list.filter((t) => t.name === which);
  const found = list.find((t) => t.id === which) ?? (byName.length === 1 ? byName[0] : undefined);
  if (found) return found;
  if (byName.length > 1) throw new CliError(`${byName.length} templates are named ${which}: pass the id`);
  throw new CliError(`no template ${which} in ${scope.org}/${scope.project}`);
}

/**
 * `templates ...`: message templates of a project (SPEC X5). The life cycle and `test` are the consumers'
 * commands (a definition from `--file`, the API's shape without `id`); `preview` renders with
 * `[[SENSITIVE]]` for every secret, and `macros` lists what the Macro Manager offers.
 */
import type { Command } from "commander";
import type { MessageTemplate, MessageTemplateInput, RunInput } from "../../client/index.js";
import { projectContext, withProject } from "../context.js";
import type { CliIo } from "../io.js";
import { printJson } from "../output.js";
import { listAction } from "../verbs.js";
import { type Kind, type RunFlags, registerKind, runInput, withRunEvent } from "./consumers.js";

const channelText = (t: MessageTemplate): string =>
  t.channel.type === "webhook"
    ? `webhook ${t.channel.method} ${t.channel.url}`
    : `email ${t.channel.smtp.host}:${t.channel.smtp.port} to ${t.channel.to.join(", ")}`;

const templateKind: Kind<MessageTemplate, MessageTemplateInput> = {
  label: "template",
  plural: "templates",
  api: (c) => c.templates,
  execute: (c, s, id, input) => c.templates.test(s, id, input),
  columns: { CHANNEL: channelText },
  describe: (t) => [
    ["channel", channelText(t)],
    ["subject", t.subject ?? "-"],
    ["body", `${t.body.length} characters (--json shows it)`],
  ],
};

export function registerTemplates(program: Command, io: CliIo): void {
  const group = program.command("templates").description("message templates of a project (webhook or email)");
  const onTemplate = registerKind(group, io, templateKind, {
    runVerb: "test",
    runHelp: "send a template's message once, now, and show its redacted run log",
  });

  withRunEvent(
    onTemplate(
      "preview",
      async ({ client, scope, item }, flags: RunFlags, input: RunInput) => {
        const preview = await client.templates.preview(scope, item.id, input);
        if (flags.json) return printJson(io, preview);
        if (preview.subject !== null) io.stdout.write(`Subject: ${preview.subject}\n\n`);
        io.stdout.write(`${preview.body}\n`);
      },
      runInput,
    ),
  ).description(
    "render a template's subject and body with [[SENSITIVE]] for every secret (no value is read)",
  );

  withProject(group.command("macros"))
    .description("list the macros a project's templates may use (the Macro Manager): names, never values")
    .action(
      listAction(io, projectContext, {
        fetch: ({ client, scope }) => client.templates.macros(scope),
        columns: { CATEGORY: "category", NAME: "name", INSERT: "insert" },
        empty: () => "no macros",
      }),
    );
}

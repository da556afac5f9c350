/**
 * Message templates as the API shows them and as clients send them (SPEC X5, "Shapes": template). Every
 * string of a template and its channel is a Mustache template; what a macro may name is checked at save
 * (consumers/templates.ts), what it renders to at send time (runtime/templates/).
 */
import { z } from "zod";
import { common, noControl, template } from "./schema.js";

/** A whole template, every string of it and of its channel together, in UTF-8 bytes. */
export const TEMPLATE_BYTES_MAX = 64 * 1024;
export const RECIPIENTS_MAX = 50;

const headers = z.record(z.string().min(1).max(256), template()).default({});

export const webhookChannelInput = z.object({
  type: z.literal("webhook"),
  method: template(64).default("POST"),
  url: template(8 * 1024).min(1),
  headers,
});

export const emailChannelInput = z.object({
  type: z.literal("email"),
  smtp: z
    .object({
      host: noControl(1024).min(1),
      port: z.number().int().min(1).max(65_535).default(587),
      /** TLS from the first byte; otherwise STARTTLS. Default: true on port 465, its implicit-TLS port. */
      secure: z.boolean().optional(),
      /** Templates, normally `{{CREDS.username}}` and `{{CREDS.password}}`; empty: no AUTH. */
      username: template(1024).default(""),
      password: template(1024).default(""),
    })
    .transform((smtp) => ({ ...smtp, secure: smtp.secure ?? smtp.port === 465 })),
  from: noControl(1024).min(1),
  to: z.array(noControl(1024).min(1)).min(1).max(RECIPIENTS_MAX),
});

/** The strings of a template, with the field each is reported under: the one list every check walks. */
export function templateStrings(t: {
  subject: string | null;
  body: string;
  channel: z.output<typeof webhookChannelInput> | z.output<typeof emailChannelInput>;
}): { field: string; template: string }[] {
  const out = [{ field: "body", template: t.body }];
  if (t.subject !== null) out.unshift({ field: "subject", template: t.subject });
  const c = t.channel;
  if (c.type === "webhook") {
    out.push({ field: "channel.method", template: c.method }, { field: "channel.url", template: c.url });
    for (const [name, value] of Object.entries(c.headers)) {
      out.push({ field: `channel.headers.${name}`, template: value });
    }
  } else {
    out.push(
      { field: "channel.smtp.host", template: c.smtp.host },
      { field: "channel.smtp.username", template: c.smtp.username },
      { field: "channel.smtp.password", template: c.smtp.password },
      { field: "channel.from", template: c.from },
    );
    c.to.forEach((to, i) => {
      out.push({ field: `channel.to.${i}`, template: to });
    });
  }
  return out;
}

export const templateInputSchema = z
  .object({
    ...common,
    /** The mail's subject; a webhook channel sends it as `subject` of its JSON body. */
    subject: z
      .string()
      .max(4 * 1024)
      .nullable()
      .default(null),
    body: z.string().max(TEMPLATE_BYTES_MAX),
    channel: z.discriminatedUnion("type", [webhookChannelInput, emailChannelInput]),
  })
  .superRefine((t, ctx) => {
    const bytes = templateStrings(t).reduce((n, s) => n + Buffer.byteLength(s.template, "utf8"), 0);
    if (bytes > TEMPLATE_BYTES_MAX) {
      ctx.addIssue({
        code: "custom",
        path: ["body"],
        message: `the template (subject, body and channel together) is ${bytes} bytes; at most ${TEMPLATE_BYTES_MAX}`,
      });
    }
  });
export type TemplateInput = z.output<typeof templateInputSchema>;

const webhookChannel = z.object({
  type: z.literal("webhook"),
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
});
const emailChannel = z.object({
  type: z.literal("email"),
  smtp: z.object({
    host: z.string(),
    port: z.number(),
    secure: z.boolean(),
    username: z.string(),
    password: z.string(),
  }),
  from: z.string(),
  to: z.array(z.string()),
});

export const templateSchema = z.object({
  id: z.string(),
  name: z.string(),
  event: z.string(),
  enabled: z.boolean(),
  secrets: z.array(z.string()),
  subject: z.string().nullable(),
  body: z.string(),
  channel: z.discriminatedUnion("type", [webhookChannel, emailChannel]),
});
export type MessageTemplate = z.output<typeof templateSchema>;
export type TemplateChannel = MessageTemplate["channel"];
export type EmailChannel = Extract<TemplateChannel, { type: "email" }>;
export type WebhookChannel = Extract<TemplateChannel, { type: "webhook" }>;

/** What `consumers.config` holds for a template. */
export type TemplateConfig = Pick<MessageTemplate, "subject" | "body" | "channel">;

export const templateListSchema = z.object({ templates: z.array(templateSchema) });

/** Preview: the event to render with, a made-up one when absent (as a test's). */
export const previewAnswer = z.object({ subject: z.string().nullable(), body: z.string() });

export const macroSchema = z.object({
  category: z.enum(["Secrets", "Event"]),
  name: z.string(),
  insert: z.string(),
});
export const macrosAnswer = z.object({ macros: z.array(macroSchema) });
export type Macro = z.output<typeof macroSchema>;

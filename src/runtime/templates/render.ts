/**
 * Renders a message template for one event (SPEC X5) with X2's renderer: a subject and body as plain text
 * (no escaping: an email's text, or the strings of a webhook's JSON body, which JSON.stringify encodes), a
 * webhook channel as an integration's request, an email channel's host, credentials and addresses as text.
 */

import { previewSecrets, readMacros } from "../../consumers/template-macros.js";
import {
  type EmailChannel,
  type MessageTemplate,
  templateStrings,
  type WebhookChannel,
} from "../../consumers/template-schema.js";
import type { MailEnvelope } from "../../mail/channel.js";
import {
  RenderError,
  type RenderedRequest,
  renderTextFields,
  renderWebhookRequest,
  type TemplateEvent,
  type TemplateSecrets,
} from "../webhook/index.js";

export interface RenderedMessage {
  subject: string | null;
  body: string;
}

export type RenderedEmail = MailEnvelope;

type Ctx = { secrets: TemplateSecrets; event: TemplateEvent };

const LINE_BREAK_OR_NUL = /[\r\n\0]/;
/** A DNS name, an IPv4 address or a bracketed IPv6 address. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\[[0-9A-Fa-f:.]+\])$/;

export function renderMessage(t: Pick<MessageTemplate, "subject" | "body">, ctx: Ctx): RenderedMessage {
  const fields: Record<string, string> = { body: t.body };
  if (t.subject !== null) fields.subject = t.subject;
  const out = renderTextFields(fields, ctx);
  const subject = t.subject === null ? null : (out.subject ?? "");
  if (subject !== null && LINE_BREAK_OR_NUL.test(subject)) {
    throw new RenderError("header_injection", "subject", "the rendered subject contains a line break or NUL");
  }
  return { subject, body: out.body ?? "" };
}

/**
 * A webhook channel's request: the channel's method, URL and headers rendered as an integration's are
 * (percent-encoding in the URL, header checks), and the message as the JSON body `{subject, body}`. The
 * rendered message is never rendered again, so event data holding `{{...}}` stays text.
 */
export function renderWebhookChannel(
  channel: WebhookChannel,
  message: RenderedMessage,
  ctx: Ctx,
): RenderedRequest {
  const request = renderWebhookRequest(
    {
      method: channel.method,
      url: channel.url,
      headers: channel.headers,
      query: {},
      body: null,
      basicAuth: null,
    },
    ctx,
  );
  const headers = { ...request.headers };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers["Content-Type"] = "application/json";
  }
  return { ...request, headers, body: JSON.stringify(message) };
}

export function renderEmailChannel(channel: EmailChannel, ctx: Ctx): RenderedEmail {
  const fields: Record<string, string> = {
    "channel.smtp.host": channel.smtp.host,
    "channel.smtp.username": channel.smtp.username,
    "channel.smtp.password": channel.smtp.password,
    "channel.from": channel.from,
  };
  channel.to.forEach((to, i) => {
    fields[`channel.to.${i}`] = to;
  });
  const out = renderTextFields(fields, ctx);
  for (const [field, value] of Object.entries(out)) {
    if (LINE_BREAK_OR_NUL.test(value)) {
      throw new RenderError("header_injection", field, "the rendered value contains a line break or NUL");
    }
  }
  const host = (out["channel.smtp.host"] ?? "").trim();
  if (!HOST.test(host)) {
    throw new RenderError("template_error", "channel.smtp.host", "does not render to a host name or address");
  }
  if ((out["channel.from"] ?? "").trim() === "") {
    throw new RenderError("template_error", "channel.from", "renders no address");
  }
  const to = channel.to.map((_, i) => (out[`channel.to.${i}`] ?? "").trim()).filter((a) => a !== "");
  if (to.length === 0) throw new RenderError("template_error", "channel.to", "renders no address");
  return {
    host,
    port: channel.smtp.port,
    secure: channel.smtp.secure,
    username: out["channel.smtp.username"] ?? "",
    password: out["channel.smtp.password"] ?? "",
    from: (out["channel.from"] ?? "").trim(),
    to,
  };
}

/**
 * The preview (SPEC X5): the subject and body rendered with `[[SENSITIVE]]` standing for every secret the
 * template names. Takes no secret values at all, so none can be decrypted for it.
 */
export function renderPreview(t: MessageTemplate, event: TemplateEvent): RenderedMessage {
  const { uses } = readMacros(templateStrings(t));
  return renderMessage(t, { secrets: previewSecrets(uses) as TemplateSecrets, event });
}

/**
 * The event a preview renders for: the caller's name and data, else a sample. Its name is the event filter
 * when that names a whole event ("order.created"), the filter and "example" when it ends a prefix ("order." is
 * "order.example"), and "example.event" for a template that listens to every event.
 */
export function sampleEvent(
  filter: string,
  given: { name?: string | undefined; data?: unknown } | undefined,
  id: string,
  publishedAt: string,
): TemplateEvent {
  const name = filter === "" ? "example.event" : /\w$/.test(filter) ? filter : `${filter}example`;
  return { id, name: given?.name ?? name, data: given?.data ?? {}, publishedAt };
}

/**
 * One attempt of a message template (SPEC X5): render the message and its channel with the run's secrets,
 * check S12's destination binding, send through the webhook client (the integrations' delivery path: SSRF
 * guard after DNS, no redirects, timeout) or over SMTP, and describe the attempt as a run-log draft. The
 * executor redacts the draft (X6) and decides about retries; a 4xx/5xx SMTP answer is retried like a
 * failed webhook.
 */
import type { Consumer } from "../../consumers/schema.js";
import type { EmailChannel, WebhookChannel } from "../../consumers/template-schema.js";
import { RunError } from "../../errors.js";
import type { MailChannel } from "../../mail/channel.js";
import type { SecretValue } from "../../secrets/types.js";
import { type AttemptOutcome, deliverRendered, renderFailure } from "../runner/delivery.js";
import { type BoundSecret, createDestinationCheck } from "../runner/destination.js";
import type { RunEvent } from "../runner/schema.js";
import type { TemplateSecrets, WebhookClient } from "../webhook/index.js";
import { type RenderedMessage, renderEmailChannel, renderMessage, renderWebhookChannel } from "./render.js";

export type TemplateConsumer = Extract<Consumer, { kind: "template" }>;

export type SendOutcome = AttemptOutcome;

export interface TemplateSender {
  send(
    consumer: TemplateConsumer,
    event: RunEvent,
    run: { values: Record<string, SecretValue>; bound: readonly BoundSecret[]; deliveryId: string },
  ): Promise<SendOutcome>;
}

export interface TemplateSenderDeps {
  webhook: Pick<WebhookClient, "deliver">;
  mail: MailChannel;
  /** The webhook channel's timeout (SPEC X2's default, 10 s). */
  webhookTimeoutMs?: number;
}

/** What an executor built without channels (a tool, a test) does with a template: fails the run. */
export const noTemplateSender: TemplateSender = {
  send: async () => {
    throw new RunError("internal", "this node cannot send message templates", true);
  },
};

export function createTemplateSender(deps: TemplateSenderDeps): TemplateSender {
  const checkDestination = createDestinationCheck();

  async function viaWebhook(
    channel: WebhookChannel,
    ctx: { secrets: TemplateSecrets; event: RunEvent },
    message: RenderedMessage,
    run: { bound: readonly BoundSecret[]; deliveryId: string },
  ): Promise<SendOutcome> {
    const rendered = renderWebhookChannel(channel, message, ctx);
    return deliverRendered(deps.webhook, checkDestination, rendered, {
      bound: run.bound,
      deliveryId: run.deliveryId,
      timeoutMs: deps.webhookTimeoutMs ?? 10_000,
    });
  }

  async function viaEmail(
    channel: EmailChannel,
    ctx: { secrets: TemplateSecrets; event: RunEvent },
    message: RenderedMessage,
    bound: readonly BoundSecret[],
  ): Promise<SendOutcome> {
    const mail = renderEmailChannel(channel, ctx);
    const subject = message.subject ?? "";
    const headers: Record<string, string> = { From: mail.from, To: mail.to.join(", "), Subject: subject };
    // What the log shows of the attempt; the credentials go in AUTH and are not part of it.
    const request = {
      method: "SMTP",
      url: `smtp://${hostForUrl(mail.host)}:${mail.port}`,
      headers,
      body: message.body,
    };
    // S12: every part sent to the mail server, credentials included, is checked against its host.
    checkDestination(
      { ...request, headers: { ...headers, username: mail.username, password: mail.password } },
      bound,
    );
    const result = await deps.mail.send({ ...mail, subject, text: message.body });
    if (result.ok) {
      const response = { status: replyCode(result.reply) ?? 250, headers: {}, body: result.reply };
      return { draft: { status: "success", request, response }, retryable: false };
    }
    const response =
      result.replyCode !== undefined
        ? { status: result.replyCode, headers: {}, body: result.reply ?? "" }
        : undefined;
    return {
      draft: { status: "failure", request, ...(response ? { response } : {}), error: result.error },
      retryable: result.retryable,
    };
  }

  return {
    async send(consumer, event, run) {
      const ctx = { secrets: run.values as TemplateSecrets, event };
      try {
        const message = renderMessage(consumer, ctx);
        const { channel } = consumer;
        return channel.type === "webhook"
          ? await viaWebhook(channel, ctx, message, run)
          : await viaEmail(channel, ctx, message, run.bound);
      } catch (error) {
        return renderFailure(error);
      }
    },
  };
}

function replyCode(reply: string): number | undefined {
  const match = /^(\d{3})\b/.exec(reply);
  return match ? Number(match[1]) : undefined;
}

/** An IPv6 address in a URL's authority needs brackets. */
function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

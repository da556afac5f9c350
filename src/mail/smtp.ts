/**
 * Outgoing mail over SMTP (nodemailer), configured by one URL: `smtp://user:pass@host:587` (STARTTLS) or
 * `smtps://user:pass@host:465` (TLS from the first byte). The password lives in the transport only: it is
 * never logged, never put in an error message, and parse errors name the part that is wrong, not its text.
 */
import { isIP } from "node:net";
import type { Transporter } from "nodemailer";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Resolves once the server accepted the message; rejects with an error that carries no credentials. */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface SmtpTarget {
  secure: boolean;
  host: string;
  port: number;
  user: string | undefined;
  pass: string | undefined;
}

/** The parts of an SMTP URL, or a message saying what is wrong with it (never quoting it). */
export function parseSmtpUrl(text: string): SmtpTarget | string {
  if (!URL.canParse(text)) {
    return "must be a URL like smtp://user:password@host:587 or smtps://user:password@host:465";
  }
  const url = new URL(text);
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") return "must start with smtp:// or smtps://";
  if (!url.hostname) return "has no host";
  if (url.pathname !== "" && url.pathname !== "/") return "must not have a path";
  if (url.search || url.hash) return "must not have a query or fragment";
  const secure = url.protocol === "smtps:";
  let user: string | undefined;
  let pass: string | undefined;
  try {
    user = url.username ? decodeURIComponent(url.username) : undefined;
    pass = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return "has a badly percent-encoded user or password";
  }
  if (pass !== undefined && user === undefined) return "has a password without a user";
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { secure, host, port: url.port ? Number(url.port) : secure ? 465 : 587, user, pass };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1"]);

/**
 * `smtp://` to anything but a loopback address requires STARTTLS: a server (or a man in the middle) that
 * does not offer it would otherwise receive the password and the invitation link in clear text.
 */
export function createSmtpMailer(target: SmtpTarget, from: string): Mailer {
  const loopback =
    LOOPBACK.has(target.host.toLowerCase()) || (isIP(target.host) === 4 && target.host.startsWith("127."));
  const options = {
    host: target.host,
    port: target.port,
    secure: target.secure,
    requireTLS: !target.secure && !loopback,
    ...(target.user !== undefined ? { auth: { user: target.user, pass: target.pass ?? "" } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    logger: false,
    debug: false,
  };
  // nodemailer loads on the first message: a server that never mails (most) never pays for it.
  let transport: Promise<Transporter> | undefined;
  const open = () =>
    (transport ??= import("nodemailer").then(({ default: nodemailer }) =>
      nodemailer.createTransport(options),
    ));
  return {
    async send(message) {
      try {
        await (await open()).sendMail({ from, to: message.to, subject: message.subject, text: message.text });
      } catch (error) {
        // nodemailer's errors carry the server's reply and sometimes the command sent: keep the codes only.
        const e = error as { code?: unknown; responseCode?: unknown };
        const code = typeof e.code === "string" ? e.code : "ESEND";
        const reply = typeof e.responseCode === "number" ? ` (SMTP ${e.responseCode})` : "";
        throw new MailError(`the mail server did not take the message: ${code}${reply}`, code);
      }
    },
    close: async () => {
      if (transport) (await transport).close();
    },
  };
}

export class MailError extends Error {
  override readonly name = "MailError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

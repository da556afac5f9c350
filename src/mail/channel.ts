/**
 * The email channel of message templates (SPEC X5): one message over SMTP with nodemailer, to a host a
 * template names. The host passes the same SSRF guard as webhooks (resolved first, every address checked,
 * then the connection made to the checked address with the name kept for TLS), TLS is implicit with
 * `secure` and STARTTLS otherwise (required unless the server is on a loopback address), and every stage
 * has a timeout. Errors are built from codes and the server's reply, never from the credentials.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Transporter } from "nodemailer";
import { forbiddenRange } from "../runtime/webhook/address.js";
import { SOCKET_ERROR_TEXT } from "../runtime/webhook/network-errors.js";

/** Where a message goes and as whom: the server, its credentials, the sender and the recipients. */
export interface MailEnvelope {
  host: string;
  port: number;
  secure: boolean;
  username: string;
  password: string;
  from: string;
  to: string[];
}

export interface MailSend extends MailEnvelope {
  subject: string;
  text: string;
}

export type MailSendResult =
  | { ok: true; reply: string; accepted: string[] }
  | {
      ok: false;
      error: { code: MailErrorCode; message: string };
      /** The server's SMTP reply code, when it answered one. */
      replyCode?: number;
      /** The server's reply text (may quote what was sent: the caller redacts it). */
      reply?: string;
      retryable: boolean;
    };

export type MailErrorCode =
  | "smtp_rejected"
  | "timeout"
  | "network_error"
  | "target_forbidden"
  | "invalid_address";

export interface MailChannel {
  send(message: MailSend): Promise<MailSendResult>;
}

export interface MailChannelOptions {
  allowPrivate: boolean;
  /** Connecting and the server's greeting, each (default 10 s). */
  connectTimeoutMs?: number;
  /** The whole send, DNS to the last reply (default 30 s). */
  sendTimeoutMs?: number;
}

export function createMailChannel(options: MailChannelOptions): MailChannel {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const sendTimeoutMs = options.sendTimeoutMs ?? 30_000;

  /** The address to connect to: the first of the host's, once all of them pass the guard. */
  async function resolve(host: string): Promise<string> {
    const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    const addresses = isIP(bare) !== 0 ? [bare] : (await lookup(bare, { all: true })).map((a) => a.address);
    if (addresses.length === 0) throw Object.assign(new Error("no address"), { code: "ENOTFOUND" });
    if (!options.allowPrivate) {
      for (const address of addresses) {
        const range = forbiddenRange(address);
        if (range !== null) throw new Forbidden(host, address, range);
      }
    }
    return addresses[0]!;
  }

  async function send(m: MailSend): Promise<MailSendResult> {
    let timer: NodeJS.Timeout | undefined;
    let transport: Transporter | undefined;
    let ended = false;
    const attempt = async (): Promise<MailSendResult> => {
      const address = await resolve(m.host);
      // nodemailer loads on the first message (decision 0164): a node that never mails never pays for it.
      const { default: nodemailer } = await import("nodemailer");
      // The deadline answered while DNS or the import ran: nothing may be sent after the attempt ended.
      if (ended) throw new Error("the attempt ended");
      transport = nodemailer.createTransport({
        host: address,
        port: m.port,
        secure: m.secure,
        // Verified against the name the template gave, not the address connected to.
        ...(isIP(m.host) === 0 ? { servername: m.host, tls: { servername: m.host } } : {}),
        requireTLS: !m.secure && forbiddenRange(address) !== "loopback",
        ...(m.username !== "" || m.password !== "" ? { auth: { user: m.username, pass: m.password } } : {}),
        connectionTimeout: connectTimeoutMs,
        greetingTimeout: connectTimeoutMs,
        socketTimeout: sendTimeoutMs,
        dnsTimeout: connectTimeoutMs,
        logger: false,
        debug: false,
      });
      const info = await transport.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text });
      return {
        ok: true,
        reply: String(info.response ?? ""),
        accepted: (info.accepted ?? []).map(String),
      };
    };
    const deadline = new Promise<MailSendResult>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            ok: false,
            error: {
              code: "timeout",
              message: `the mail server did not take the message within ${sendTimeoutMs} ms`,
            },
            retryable: true,
          }),
        sendTimeoutMs,
      );
    });
    try {
      return await Promise.race([attempt().catch(failure), deadline]);
    } finally {
      ended = true;
      clearTimeout(timer);
      transport?.close();
    }
  }

  return { send };
}

class Forbidden extends Error {
  override readonly name = "Forbidden";
  constructor(host: string, address: string, range: string) {
    super(
      `mail server ${host} is not allowed: ${address} is in the ${range} range ` +
        "(the operator can allow private targets with CLOAKROOM_ALLOW_PRIVATE_TARGETS=true)",
    );
  }
}

const NETWORK_TEXT: Record<string, string> = {
  ...SOCKET_ERROR_TEXT,
  ETLS: "the TLS handshake failed",
};

/**
 * A refusal keeps the server's reply (the caller redacts it, as a webhook response body); anything else
 * is described by its code only, since nodemailer's own messages may quote the command it sent.
 */
function failure(error: unknown): MailSendResult {
  if (error instanceof Forbidden) {
    return { ok: false, error: { code: "target_forbidden", message: error.message }, retryable: false };
  }
  const e = error as { code?: unknown; responseCode?: unknown; response?: unknown; errno?: unknown };
  const code = typeof e.code === "string" ? e.code : undefined;
  if (typeof e.responseCode === "number" && e.responseCode >= 400) {
    // As the server sent it, neither cut nor folded: a cut could split a value the redactor must still
    // find; the run-log entry is bounded once redacted.
    const reply = typeof e.response === "string" ? e.response : String(e.responseCode);
    return {
      ok: false,
      error: { code: "smtp_rejected", message: `the mail server answered ${reply}` },
      replyCode: e.responseCode,
      reply,
      retryable: true,
    };
  }
  if (code === "EENVELOPE") {
    // No usable sender or recipient address: another attempt would send the same addresses.
    return {
      ok: false,
      error: { code: "invalid_address", message: "the sender or a recipient is not a valid address" },
      retryable: false,
    };
  }
  if (code === "ETIMEDOUT" || code === "ETIMEOUT" || code === "ECONNECTION_TIMEOUT") {
    return {
      ok: false,
      error: { code: "timeout", message: "the mail server did not answer in time" },
      retryable: true,
    };
  }
  const socketCode = typeof e.errno === "string" ? e.errno : code;
  const text = (socketCode && NETWORK_TEXT[socketCode]) ?? "the mail could not be sent";
  return {
    ok: false,
    error: { code: "network_error", message: code ? `${text} (${code})` : text },
    retryable: true,
  };
}

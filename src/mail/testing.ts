/**
 * Test support: a real local SMTP server (the `smtp-server` package) that checks AUTH credentials, keeps
 * what it receives, and refuses recipients when a test says so, with the reply the test scripts.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  /** The user name the client authenticated as. */
  user: string | undefined;
  raw: string;
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** RCPT TO attempts, refused ones included. */
  attempts: number;
  /** Refuse every recipient with this reply (code and text), or accept again with null. */
  refuse(reply: { code: number; message: string } | null): void;
  setCredentials(username: string, password: string): void;
  close(): Promise<void>;
}

export async function startSmtpSink(credentials: { username: string; password: string }): Promise<SmtpSink> {
  let creds = credentials;
  let refusal: { code: number; message: string } | null = null;
  const sink = { mails: [] as ReceivedMail[], attempts: 0 };
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, callback) {
      if (auth.username === creds.username && auth.password === creds.password) {
        callback(null, { user: auth.username });
      } else callback(Object.assign(new Error("authentication failed"), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      sink.attempts++;
      if (refusal) callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        sink.mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === "string" ? session.user : undefined,
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    mails: sink.mails,
    get attempts() {
      return sink.attempts;
    },
    refuse(reply) {
      refusal = reply;
    },
    setCredentials(username, password) {
      creds = { username, password };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A mail's body as text: quoted-printable soft breaks and `=3D` undone. */
export const unfoldMail = (raw: string): string => raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");

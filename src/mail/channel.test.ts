/**
 * The email channel against real local servers: a mail is delivered with AUTH, a server that never greets
 * times out (and may be retried), a refusal keeps the server's reply, a private host is refused before any
 * connection unless private targets are allowed, and addresses that cannot be sent are not retried.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { createMailChannel } from "./channel.js";
import { type SmtpSink, startSmtpSink } from "./testing.js";

const message = (port: number, over: Record<string, unknown> = {}) => ({
  host: "127.0.0.1",
  port,
  secure: false,
  username: "user",
  password: "pass-0123",
  from: "a@example.test",
  to: ["b@example.test"],
  subject: "Hello",
  text: "Body",
  ...over,
});

describe("the email channel", () => {
  let smtp: SmtpSink;
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];

  before(async () => {
    smtp = await startSmtpSink({ username: "user", password: "pass-0123" });
    silent = createServer((socket) => sockets.push(socket)); // accepts, never greets
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await smtp.close();
  });

  it("delivers with AUTH and answers the server's reply", async () => {
    const result = await createMailChannel({ allowPrivate: true }).send(message(smtp.port));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(smtp.mails.at(-1)?.user, "user");
  });

  it("a server that never greets times out, retryably", async () => {
    const channel = createMailChannel({ allowPrivate: true, connectTimeoutMs: 200, sendTimeoutMs: 1000 });
    const started = Date.now();
    const result = await channel.send(message(silentPort));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.code, "timeout");
    assert.equal(result.retryable, true);
    assert.ok(Date.now() - started < 3000, "within the timeouts");
  });

  it("a refusal fails with the server's reply code and text, retryably", async () => {
    smtp.refuse({ code: 451, message: "try again later" });
    try {
      const result = await createMailChannel({ allowPrivate: true }).send(message(smtp.port));
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.code, "smtp_rejected");
      assert.equal(result.replyCode, 451);
      assert.match(result.reply ?? "", /try again later/);
      assert.equal(result.retryable, true);
    } finally {
      smtp.refuse(null);
    }
  });

  it("wrong credentials fail with the server's 535", async () => {
    const result = await createMailChannel({ allowPrivate: true }).send(
      message(smtp.port, { password: "nope" }),
    );
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.replyCode, 535);
  });

  it("a private or loopback host is refused before connecting unless private targets are allowed", async () => {
    const before = smtp.attempts;
    for (const host of ["127.0.0.1", "localhost", "[::1]"]) {
      const result = await createMailChannel({ allowPrivate: false }).send(message(smtp.port, { host }));
      assert.equal(result.ok, false, host);
      if (result.ok) continue;
      assert.equal(result.error.code, "target_forbidden", host);
      assert.equal(result.retryable, false);
    }
    assert.equal(smtp.attempts, before, "nothing reached the server");
  });

  it("addresses that cannot be sent are not retried", async () => {
    const result = await createMailChannel({ allowPrivate: true }).send(
      message(smtp.port, { to: ["not an address"] }),
    );
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.retryable, false, JSON.stringify(result));
  });
});

/**
 * Message templates end to end (SPEC X5) through a real server, a real local HTTP sink and a real local
 * SMTP server, on SQLite and PostgreSQL: events trigger templates through both channels, the preview
 * never reads a value, SMTP refusals fail and are retried with the reply redacted, rotation takes effect
 * on the next send, and no value reaches a stored run log, an answer or the server's log in any form.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { type SmtpSink, startSmtpSink, unfoldMail } from "../../mail/testing.js";
import { testDatabases } from "../../testing/databases.js";
import { eventually, type RuntimeFixture, startRuntimeSuite } from "../../testing/runtime.js";
import type { TestServer } from "../../testing/server.js";
import type { Sink } from "../../testing/sink.js";

process.env.CLOAKROOM_RUN_RETRY_BASE_MS = "20";
process.env.CLOAKROOM_RUN_RETRY_MAX_MS = "100";
process.env.CLOAKROOM_RUN_MAX_ATTEMPTS = "3";
process.env.CLOAKROOM_RUN_POLL_MS = "200";

const WEATHER = "s3cr3t-weather-fx-0001";
const WEATHER_ROTATED = "s3cr3t-weather-fx-0002";
const SMTP_USER = "s3cr3t-smtp-user";
const SMTP_PASS = "s3cr3t-smtp-pass-0003";
const PREVIEW_ONLY = "s3cr3t-preview-only-0004";
const SMTP_PASS_ROTATED = "s3cr3t-smtp-pass-0005";
const VALUES = [
  WEATHER,
  WEATHER_ROTATED,
  SMTP_USER,
  SMTP_PASS,
  SMTP_PASS_ROTATED,
  PREVIEW_ONLY,
  `${SMTP_USER}:${SMTP_PASS}`,
];

/** Every X6 form a value could take in a log: raw, JSON-escaped, percent-encoded, base64 of all kinds. */
export function forms(value: string): string[] {
  const b64 = Buffer.from(value).toString("base64");
  const url = Buffer.from(value).toString("base64url");
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    b64,
    b64.replace(/=+$/, ""),
    url,
  ];
}
/** The Subject header of a raw mail, its RFC 2047 Q-encoded words decoded. */
function subjectOf(raw: string): string {
  const header = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(raw)?.[1] ?? "";
  return header.replace(/\r\n[ \t]/g, "").replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) =>
    Buffer.from(
      q
        .replace(/_/g, " ")
        .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      "latin1",
    ).toString("utf8"),
  );
}
const leaks = (text: string) => VALUES.flatMap(forms).filter((form) => text.includes(form));

for (const database of testDatabases()) {
  describe(`message templates on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;
    let sink: Sink;
    let smtp: SmtpSink;

    before(async () => {
      ({ server, f, sink } = await startRuntimeSuite(database));
      smtp = await startSmtpSink({ username: SMTP_USER, password: SMTP_PASS });
      const policy = await f.call("PATCH", `/v1/orgs/${f.org}/settings`, f.owner, { namingPolicy: "alias" });
      assert.equal(policy.status, 200, policy.text);
      await f.secret("weather_fx", "token", WEATHER);
      await f.secret("smtp_creds", "username_password", { username: SMTP_USER, password: SMTP_PASS });
    });
    beforeEach(() => {
      sink.requests.length = 0;
      sink.respond(() => ({ status: 200, body: "ok" }));
      smtp.refuse(null);
    });
    after(async () => {
      const stored = await server.cloakroom.store.db.selectFrom("run_logs").select("entry").execute();
      await server.close();
      await sink.close();
      await smtp.close();
      assert.ok(stored.length >= 5, "the runs were logged");
      for (const row of stored) assert.deepEqual(leaks(row.entry), [], "a stored run log holds a value");
      for (const text of f.seen)
        assert.deepEqual(leaks(text), [], `an answer leaked a value: ${text.slice(0, 300)}`);
      for (const line of server.logs) assert.deepEqual(leaks(line), [], "the server log holds a value");
    });

    const create = async (body: Record<string, unknown>) => {
      const res = await f.call("POST", f.p("/templates"), f.owner, body);
      assert.equal(res.status, 201, res.text);
      return res.body as { id: string };
    };
    const webhookTemplate = (name: string, event: string) => ({
      name,
      event,
      secrets: ["weather_fx"],
      subject: "FX for {{event.data.city}}",
      body: "key={{secrets.Weather_FX}} city={{event.data.city}} raw={{{event.data.note}}}",
      channel: {
        type: "webhook",
        url: `${sink.url}/notify/{{event.data.city}}`,
        headers: { "X-Key": "{{weather_fx}}" },
      },
    });
    const emailTemplate = (name: string, event: string) => ({
      name,
      event,
      secrets: ["weather_fx", "smtp_creds"],
      subject: "Rates for {{event.data.city}} <{{event.name}}>",
      body: "Today's key: {{secrets.weather_fx}}\nCity: {{event.data.city}} & more",
      channel: {
        type: "email",
        smtp: {
          host: "127.0.0.1",
          port: smtp.port,
          secure: false,
          username: "{{smtp_creds.username}}",
          password: "{{secrets.smtp_creds.password}}",
        },
        from: "alerts@example.test",
        to: ["ops@example.test", "{{event.data.extra}}"],
      },
    });

    it("an event triggers a webhook-channel template: the sink gets {subject, body} with the value, under an alias spelling", async () => {
      const t = await create(webhookTemplate("fx-hook", "weather."));
      const eventId = await f.publish("weather.update", { city: "Oslo", note: '{{secrets.weather_fx}} "q"' });
      const [request] = await sink.waitFor(1);
      assert.equal(request!.url, "/notify/Oslo");
      assert.equal(request!.headers["x-key"], WEATHER);
      assert.equal(request!.headers["content-type"], "application/json");
      // The message is text in a JSON body; event data holding a tag stays text, never rendered again.
      assert.deepEqual(JSON.parse(request!.body), {
        subject: "FX for Oslo",
        body: `key=${WEATHER} city=Oslo raw={{secrets.weather_fx}} "q"`,
      });
      const entry = await eventually(async () =>
        (await f.logs(`?consumer=${t.id}`)).find((e) => e.event.id === eventId),
      );
      assert.equal(entry.status, "success");
      assert.deepEqual(entry.consumer, { kind: "template", id: t.id, name: "fx-hook" });
      assert.equal(entry.request.headers["X-Key"], "[[SENSITIVE]]");
      assert.match(entry.request.body, /key=\[\[SENSITIVE\]\] city=Oslo/);
      const used = await f.call("GET", `/v1/orgs/${f.org}/secrets/weather_fx`);
      assert.ok(
        used.body.usedBy.some((c: { kind: string; id: string }) => c.kind === "template" && c.id === t.id),
      );
    });

    it("the preview shows [[SENSITIVE]] for every secret and reads no value (its ciphertext is unreadable)", async () => {
      // Never read before: not in any cache.
      await f.secret("preview_only", "token", PREVIEW_ONLY);
      const t = await create({
        name: "preview",
        event: "preview.",
        secrets: ["preview_only", "smtp_creds"],
        subject: "Hi {{event.data.who}}",
        body: "token {{secrets.Preview_Only}} user {{smtp_creds.username}} pass {{{secrets.smtp_creds.password}}}",
        channel: { type: "webhook", url: `${sink.url}/preview`, headers: {} },
      });
      // Were a value read for the preview, this one could not be: the preview must not care.
      await server.cloakroom.store.db
        .updateTable("secret_versions")
        .set({ ciphertext: "unreadable" })
        .where(
          "secret_id",
          "in",
          server.cloakroom.store.db.selectFrom("secrets").select("id").where("name", "=", "preview_only"),
        )
        .execute();
      const res = await f.call("POST", f.p(`/templates/${t.id}/preview`), f.owner, {
        event: { data: { who: "Ada" } },
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, {
        subject: "Hi Ada",
        body: "token [[SENSITIVE]] user [[SENSITIVE]] pass [[SENSITIVE]]",
      });
      const meta = await f.call("GET", `/v1/orgs/${f.org}/secrets/preview_only`);
      assert.equal(meta.body.lastAccessedAt, null);
      // Sending does read it, and fails: the preview above really did without.
      const sent = await f.call("POST", f.p(`/templates/${t.id}/test`), f.owner, {});
      assert.equal(sent.status, 200, sent.text);
      assert.equal(sent.body.status, "failure");
      assert.equal(sink.requests.length, 0);
      await f.call("DELETE", f.p(`/templates/${t.id}`));
      // An unreadable secret would keep the organization's runs from being redacted in full.
      assert.equal((await f.call("DELETE", `/v1/orgs/${f.org}/secrets/preview_only`)).status, 204);
    });

    it("a draft preview renders an unsaved template with [[SENSITIVE]], stores nothing, and refuses a text that does not render", async () => {
      const before = (await f.call("GET", f.p("/templates"))).body.templates.length;
      const draft = {
        name: "draft",
        secrets: ["weather_fx"],
        subject: "Hi {{event.data.who}}",
        body: "key {{secrets.WEATHER_fx}} for {{event.name}}",
        channel: { type: "webhook", url: `${sink.url}/draft`, headers: {} },
      };
      const res = await f.call("POST", f.p("/templates/preview"), f.owner, {
        template: draft,
        event: { name: "rates.daily", data: { who: "Ada" } },
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { subject: "Hi Ada", body: "key [[SENSITIVE]] for rates.daily" });
      assert.equal((await f.call("GET", f.p("/templates"))).body.templates.length, before);
      const broken = await f.call("POST", f.p("/templates/preview"), f.owner, {
        template: { ...draft, body: "{{#open}} never closed" },
      });
      assert.equal(broken.status, 400, broken.text);
      assert.equal(broken.body.error.code, "invalid_request");
      assert.equal(sink.requests.length, 0);
    });

    it("a preview without an event names a sample one from the template's event filter, never the word preview", async () => {
      const named = async (event: string) => {
        const res = await f.call("POST", f.p("/templates/preview"), f.owner, {
          template: {
            name: "sample",
            event,
            body: "for {{event.name}}",
            channel: { type: "webhook", url: `${sink.url}/sample`, headers: {} },
          },
        });
        assert.equal(res.status, 200, res.text);
        return res.body.body;
      };
      assert.equal(await named(""), "for example.event");
      assert.equal(await named("rates.daily"), "for rates.daily");
      assert.equal(await named("rates."), "for rates.example");
    });

    it("an email-channel template reaches the SMTP server with subject and body rendered and AUTH from the secret", async () => {
      const t = await create(emailTemplate("fx-mail", "mail."));
      const before = smtp.mails.length;
      const res = await f.call("POST", f.p(`/templates/${t.id}/test`), f.owner, {
        event: { name: "mail.daily", data: { city: "Zürich", extra: "cfo@example.test" } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, "success", res.text);
      assert.equal(res.body.request.method, "SMTP");
      assert.equal(res.body.request.url, `smtp://127.0.0.1:${smtp.port}`);
      assert.equal(res.body.request.body, "Today's key: [[SENSITIVE]]\nCity: Zürich & more");
      assert.equal(res.body.response.status, 250);
      const mail = smtp.mails[before]!;
      assert.equal(mail.user, SMTP_USER);
      assert.equal(mail.from, "alerts@example.test");
      assert.deepEqual(mail.to, ["ops@example.test", "cfo@example.test"]);
      const text = unfoldMail(mail.raw);
      assert.equal(subjectOf(mail.raw), "Rates for Zürich <mail.daily>");
      assert.ok(text.includes(`Today's key: ${WEATHER}`), "the body has the value, unescaped");
      assert.ok(text.includes("City: Z") && text.includes("& more"), "no HTML escaping in an email's text");
    });

    it("an SMTP server that refuses the message fails the run with its reply redacted, and the run is retried", async () => {
      const t = await create(emailTemplate("fx-refused", "refuse."));
      smtp.refuse({ code: 550, message: `mailbox unavailable for key ${WEATHER}` });
      const attemptsBefore = smtp.attempts;
      const eventId = await f.publish("refuse.now", { city: "Rome", extra: "x@example.test" });
      const entry = await eventually(async () => {
        const e = (await f.logs(`?consumer=${t.id}`)).find((x) => x.event.id === eventId);
        return e?.attempts === 3 && e;
      });
      assert.equal(entry.status, "failure");
      assert.equal(entry.error.code, "smtp_rejected");
      assert.match(entry.error.message, /550/);
      assert.match(entry.error.message, /mailbox unavailable for key \[\[SENSITIVE\]\]/);
      assert.equal(entry.response.status, 550);
      assert.ok(smtp.attempts - attemptsBefore >= 3, "each attempt reached the server");
    });

    it("rotating a secret is used by the very next send", async () => {
      const t = await create(webhookTemplate("fx-rotate", "rotate."));
      await f.publish("rotate.one", { city: "Paris" });
      await sink.waitFor(1);
      const put = await f.call("PUT", `/v1/orgs/${f.org}/secrets/weather_fx/value`, f.owner, {
        value: WEATHER_ROTATED,
      });
      assert.equal(put.status, 200, put.text);
      await f.publish("rotate.two", { city: "Lima" });
      const requests = await sink.waitFor(2);
      assert.equal(requests[1]!.headers["x-key"], WEATHER_ROTATED);
      assert.match(JSON.parse(requests[1]!.body).body, new RegExp(`key=${WEATHER_ROTATED}`));
      await f.call("DELETE", f.p(`/templates/${t.id}`));
    });

    it("rotated SMTP credentials are the ones the next mail authenticates with", async () => {
      const t = await create(emailTemplate("fx-mail-rotate", "mailrot."));
      smtp.setCredentials(SMTP_USER, SMTP_PASS_ROTATED);
      const stale = await f.call("POST", f.p(`/templates/${t.id}/test`), f.owner, {
        event: { data: { extra: "x@example.test" } },
      });
      assert.equal(stale.body.error?.code, "smtp_rejected", stale.text);
      assert.equal(stale.body.response.status, 535);
      const put = await f.call("PUT", `/v1/orgs/${f.org}/secrets/smtp_creds/value`, f.owner, {
        value: { username: SMTP_USER, password: SMTP_PASS_ROTATED },
      });
      assert.equal(put.status, 200, put.text);
      const sent = await f.call("POST", f.p(`/templates/${t.id}/test`), f.owner, {
        event: { data: { extra: "x@example.test" } },
      });
      assert.equal(sent.body.status, "success", sent.text);
      smtp.setCredentials(SMTP_USER, SMTP_PASS);
      await f.call("PUT", `/v1/orgs/${f.org}/secrets/smtp_creds/value`, f.owner, {
        value: { username: SMTP_USER, password: SMTP_PASS },
      });
      await f.call("DELETE", f.p(`/templates/${t.id}`));
    });

    it("the Macro Manager lists secrets with their typed parts and the keys of recent events, never a value", async () => {
      await f.publish("weather.keys", { city: "Bern", nested: { zone: "CET" }, [WEATHER_ROTATED]: 1 });
      const res = await f.call("GET", f.p("/macros"));
      assert.equal(res.status, 200, res.text);
      const macros = res.body.macros as { category: string; name: string; insert: string }[];
      const secrets = macros.filter((m) => m.category === "Secrets").map((m) => [m.name, m.insert]);
      assert.deepEqual(secrets, [
        ["smtp_creds", "{{secrets.smtp_creds}}"],
        ["smtp_creds.username", "{{secrets.smtp_creds.username}}"],
        ["smtp_creds.password", "{{secrets.smtp_creds.password}}"],
        ["weather_fx", "{{secrets.weather_fx}}"],
      ]);
      const event = macros.filter((m) => m.category === "Event").map((m) => m.name);
      for (const name of [
        "event.name",
        "event.data",
        "event.data.city",
        "event.data.nested",
        "event.data.nested.zone",
      ]) {
        assert.ok(event.includes(name), name);
      }
      assert.ok(macros.every((m) => m.category !== "Event" || m.insert === `{{${m.name}}}`));
      assert.deepEqual(leaks(res.text), [], "a key holding a value is not offered as a macro");
    });

    it("a template keeps its secrets in use: delete is refused, archive makes its runs fail naming the secret", async () => {
      const t = await create(webhookTemplate("fx-guard", "guard."));
      const del = await f.call("DELETE", `/v1/orgs/${f.org}/secrets/weather_fx`);
      assert.equal(del.status, 409, del.text);
      assert.equal(del.body.error.code, "secret_in_use");
      const archived = await f.call("POST", `/v1/orgs/${f.org}/secrets/weather_fx/archive`);
      assert.equal(archived.status, 200, archived.text);
      const run = await f.call("POST", f.p(`/templates/${t.id}/test`), f.owner, {});
      assert.equal(run.body.status, "failure");
      assert.equal(run.body.error.code, "secret_archived");
      assert.match(run.body.error.message, /weather_fx/);
      await f.call("POST", `/v1/orgs/${f.org}/secrets/weather_fx/restore`);
      await f.call("DELETE", f.p(`/templates/${t.id}`));
    });
  });
}

/**
 * The command users run is the bundle in dist/server (decisions 0164, 0275, 0385): it must be the fresh
 * one, and the modules it loads on first use (undici for a delivery, the sandbox's worker thread, the
 * OpenAPI document, prom-client for /metrics, nodemailer for an invitation) and the files beside it (the
 * template a new database is copied from) must work from it, not only from dist/src where the in-process
 * tests run.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import { type SmtpSink, startSmtpSink, unfoldMail } from "../src/mail/testing.js";
import { tempDir } from "../src/testing/databases.js";
import { callServer } from "../src/testing/http.js";
import { type ServerProcess, startServerProcess } from "../src/testing/process.js";

const fromSources = import.meta.url.endsWith(".ts");
const repoRoot = fileURLToPath(new URL(fromSources ? "../" : "../../", import.meta.url));

describe("the bundled command", () => {
  let server: ServerProcess;
  let sink: ReturnType<typeof createServer>;
  let sinkUrl: string;
  let smtp: SmtpSink;
  const received: string[] = [];
  const dataDir = tempDir();

  before(async () => {
    sink = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.end("ok");
    });
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    smtp = await startSmtpSink({ username: "mailer", password: "smtp-pass-Hb4Tq9" });
    server = await startServerProcess(["--data-dir", dataDir], {
      DATABASE_URL: "",
      CLOAKROOM_ALLOW_PRIVATE_TARGETS: "true",
      CLOAKROOM_SMTP_URL: `smtp://mailer:smtp-pass-Hb4Tq9@127.0.0.1:${smtp.port}`,
      CLOAKROOM_SMTP_FROM: "Cloakroom <cloakroom@example.test>",
      CLOAKROOM_PUBLIC_URL: "https://secrets.example.test/",
    });
  });
  after(async () => {
    await server?.stop();
    sink?.close();
    await smtp?.close();
  });

  it("is what bin/cloakroom.js runs after a build: present and not older than the compiled sources", (t) => {
    if (fromSources) return t.skip("run from sources: no build to compare with");
    const bundle = join(repoRoot, "dist/server/main.cjs");
    assert.ok(existsSync(bundle), "dist/server/main.cjs is missing: npm test bundles after tsc");
    assert.ok(
      statSync(bundle).mtimeMs >= statSync(join(repoRoot, "dist/.tsbuildinfo")).mtimeMs,
      "the bundle is older than the last tsc build, so the command would fall back to dist/src",
    );
  });

  it("delivers a webhook, runs a logic function and serves the OpenAPI document", async () => {
    const setup = await callServer(server.url, "POST", "/v1/setup", undefined, {
      org: "acme",
      email: "owner@example.com",
      password: "correct horse battery staple",
    });
    assert.equal(setup.status, 201);
    const token = (setup.body as { token: string }).token;
    const project = await callServer(server.url, "POST", "/v1/orgs/acme/projects", token, {
      slug: "p",
      name: "p",
    });
    assert.equal(project.status, 201);
    // zod's messages come from the English locale, the one the bundle keeps (decision 0385).
    const bad = await callServer(server.url, "POST", "/v1/orgs/acme/projects", token, { slug: 5, name: "q" });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Invalid input: expected string, received number/);
    const base = "/v1/orgs/acme/projects/p";

    const hook = await callServer(server.url, "POST", `${base}/integrations`, token, {
      name: "hook",
      request: { method: "POST", url: `${sinkUrl}/hook` },
    });
    assert.equal(hook.status, 201);
    const delivered = await callServer(
      server.url,
      "POST",
      `${base}/integrations/${(hook.body as { id: string }).id}/test`,
      token,
      {},
    );
    assert.equal((delivered.body as { status: string }).status, "success", delivered.text);
    assert.deepEqual(received, ["POST /hook"]);

    const fn = await callServer(server.url, "POST", `${base}/logic`, token, {
      name: "fn",
      code: "export default function process({ event }) { return { name: event.name }; }",
    });
    assert.equal(fn.status, 201);
    const run = await callServer(
      server.url,
      "POST",
      `${base}/logic/${(fn.body as { id: string }).id}/run`,
      token,
      {},
    );
    assert.deepEqual((run.body as { output: unknown }).output, { name: "test" }, run.text);

    const openapi = await callServer(server.url, "GET", "/v1/openapi.json");
    assert.equal(openapi.status, 200);
    assert.ok("/v1/setup" in (openapi.body as { paths: Record<string, unknown> }).paths);

    const metrics = await callServer(server.url, "GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.text,
      /cloakroom_http_request_duration_seconds_count\{method="POST",route="\/v1\/setup",status="201"\} 1/,
    );
    assert.match(metrics.text, /cloakroom_runs_total\{kind="integration",status="success"\} [1-9]/);
    assert.match(metrics.text, /cloakroom_nodejs_eventloop_lag_seconds/);

    // nodemailer is a vendor file of its own (decision 0385), required on the first mail.
    const invited = await callServer(server.url, "POST", "/v1/orgs/acme/members", token, {
      email: "new.hire@example.com",
      role: "viewer",
    });
    assert.equal(invited.status, 201, invited.text);
    assert.equal((invited.body as { mailed: boolean }).mailed, true, invited.text);
    assert.deepEqual(
      smtp.mails.map((m) => m.to),
      [["new.hire@example.com"]],
    );
    assert.match(unfoldMail(smtp.mails[0]!.raw), /https:\/\/secrets\.example\.test\/invite#token=crk_i_/);
  });

  it("starts a new database as a copy of the build's template, not by migrating it (decision 0395)", (t) => {
    if (fromSources) return t.skip("run from sources: no build, no template");
    // The template's bookkeeping carries the build's times: a database migrated at this start would not.
    const applied = (file: string) => {
      const db = new SQLite(file, { readonly: true });
      try {
        return db.prepare("select name, applied_at from cloakroom_schema_migrations order by name").all();
      } finally {
        db.close();
      }
    };
    assert.deepEqual(
      applied(join(dataDir, "cloakroom.db")),
      applied(join(repoRoot, "dist/server/template.db")),
    );
  });

  it("is written as the function bin/code-cache.js compiles, and carries zod's English messages alone", (t) => {
    if (fromSources) return t.skip("run from sources: no build to look at");
    const source = readFileSync(join(repoRoot, "dist/server/main.cjs"), "latin1");
    // bin/code-cache.js's WRAPPER_START: a bundle without it is wrapped at every start.
    assert.ok(
      source.startsWith("(function (exports, require, module, __filename, __dirname) {"),
      "main.cjs does not start with the CommonJS wrapper",
    );
    // The French locale's "Entrée invalide" (esbuild writes the é as \xE9) is absent, the English
    // "Invalid input" present.
    assert.ok(!source.includes("Entr\\xE9e invalide") && !source.includes("Entrée invalide"));
    assert.ok(source.includes("Invalid input"));
  });
});

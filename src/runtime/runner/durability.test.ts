/**
 * X1: runs are durable. A real server process takes events while the webhook target is down, is killed
 * with SIGKILL (no shutdown code runs), and a new process on the same database delivers every run once
 * the target is back: at least once, none lost. On SQLite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import pg from "pg";
import { tempDir, testDatabases } from "../../testing/databases.js";
import { callServer } from "../../testing/http.js";
import { eventually } from "../../testing/runtime.js";
import { startSink } from "../../testing/sink.js";

const script = new URL(
  `../../testing/serve${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
  import.meta.url,
);

interface ServerProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...process.execArgv, script.pathname], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr.slice(-2000)}`)), 30_000);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  return { url, child, exited };
}

for (const database of testDatabases()) {
  describe(`durable runs on ${database.name}`, () => {
    const dataDir = tempDir();
    const pgSchema = `t_${randomBytes(6).toString("hex")}`;
    const env: Record<string, string> = {
      CLOAKROOM_DATA_DIR: dataDir,
      CLOAKROOM_ROOT_KEY: randomBytes(32).toString("base64"),
      CLOAKROOM_ALLOW_PRIVATE_TARGETS: "true",
      CLOAKROOM_LOG_LEVEL: "warn",
      CLOAKROOM_RUN_RETRY_BASE_MS: "100",
      CLOAKROOM_RUN_RETRY_MAX_MS: "400",
      CLOAKROOM_RUN_MAX_ATTEMPTS: "100",
      CLOAKROOM_RUN_LEASE_MS: "1000",
      CLOAKROOM_RUN_POLL_MS: "100",
      ...(database.name === "postgres"
        ? { DATABASE_URL: process.env.TEST_DATABASE_URL ?? "", CLOAKROOM_TEST_PG_SCHEMA: pgSchema }
        : {}),
    };
    const children: ChildProcess[] = [];

    after(async () => {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
      if (database.name === "postgres") {
        const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await client.connect();
        await client.query(`drop schema if exists ${pgSchema} cascade`).finally(() => client.end());
      }
    });

    it("every run published before a SIGKILL is delivered after a restart", async () => {
      const sink = await startSink();
      await sink.down();
      const first = await spawnServer(env);
      children.push(first.child);

      const setup = await callServer(first.url, "POST", "/v1/setup", undefined, {
        org: "acme",
        email: "owner@example.com",
        password: "correct horse battery staple",
      });
      assert.equal(setup.status, 201, setup.text);
      const token = setup.body.token as string;
      const p = "/v1/orgs/acme/projects/web";
      assert.equal(
        (await callServer(first.url, "POST", "/v1/orgs/acme/projects", token, { slug: "web", name: "Web" }))
          .status,
        201,
      );
      assert.equal(
        (
          await callServer(first.url, "POST", "/v1/orgs/acme/secrets", token, {
            name: "API_KEY",
            type: "token",
            value: "s3cr3t-durable",
          })
        ).status,
        201,
      );
      for (const name of ["one", "two"]) {
        const res = await callServer(first.url, "POST", `${p}/integrations`, token, {
          name,
          event: "order",
          secrets: ["API_KEY"],
          request: {
            method: "POST",
            url: `${sink.url}/${name}`,
            headers: { "X-Key": "{{{API_KEY}}}" },
            body: "{{event.id}}",
          },
        });
        assert.equal(res.status, 201, res.text);
      }
      const events: string[] = [];
      for (let i = 0; i < 15; i++) {
        const res = await callServer(first.url, "POST", `${p}/events`, token, {
          name: "order.created",
          data: { i },
        });
        assert.equal(res.status, 202, res.text);
        events.push(res.body.id as string);
      }
      // Let the first process try (and fail) a few deliveries, so some runs are mid-retry or mid-claim.
      await new Promise((r) => setTimeout(r, 300));
      first.child.kill("SIGKILL");
      await first.exited;

      await sink.up();
      const second = await spawnServer(env);
      children.push(second.child);
      const expected = events.length * 2;
      await eventually(
        async () => new Set(sink.requests.map((r) => r.headers["x-cloakroom-delivery"])).size >= expected,
        30_000,
        "every run to be delivered",
      );
      for (const r of sink.requests) assert.equal(r.headers["x-key"], "s3cr3t-durable");
      const delivered = new Set(sink.requests.map((r) => `${r.url}|${r.body}`));
      for (const id of events) {
        assert.ok(delivered.has(`/one|${id}`), `event ${id} never reached consumer one`);
        assert.ok(delivered.has(`/two|${id}`), `event ${id} never reached consumer two`);
      }
      const logs = await eventually(
        async () => {
          const res = await callServer(second.url, "GET", `${p}/logs?limit=200`, token);
          const ok = (res.body.entries as { status: string }[]).filter((e) => e.status === "success");
          return ok.length >= expected && ok;
        },
        10_000,
        "every run to be logged",
      );
      assert.equal(logs.length, expected);

      second.child.kill("SIGTERM");
      assert.equal(await second.exited, 0, "a SIGTERM stops the server cleanly");
      await sink.close();
    });
  });
}

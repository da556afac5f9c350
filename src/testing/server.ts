/**
 * Test harness: a real Cloakroom listening on 127.0.0.1 over a fresh database (SQLite or PostgreSQL), with
 * its own log lines captured so tests can search them for values.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { type Cloakroom, createCloakroom } from "../app.js";
import { type Config, loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { type TestDatabase, type TestStore, tempDir } from "./databases.js";
import { readTestResponse, type TestResponse } from "./http.js";

export interface TestServer {
  url: string;
  cloakroom: Cloakroom;
  /** Every line the server logged, as raw JSON text. */
  logs: string[];
  config: Config;
  /** Sends a JSON request; `token` becomes a bearer token. Never throws on an HTTP error status. */
  request(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string },
  ): Promise<TestResponse>;
  /** Runs first-run setup and returns the owner's token and organization slug. */
  setup(options?: {
    org?: string;
    email?: string;
    password?: string;
  }): Promise<{ token: string; org: string; email: string; password: string }>;
  /**
   * Brings a new person into `org` the only way there is: `token` (an admin's) invites them, and they
   * accept, choosing `password`. Returns their session token and user id.
   */
  addMember(options: {
    token: string;
    org: string;
    email: string;
    role: string;
    password?: string;
  }): Promise<{ token: string; userId: string }>;
  close(): Promise<void>;
}

export type { TestResponse };

export async function startTestServer(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const dataDir = tempDir();
  let pgSchema: string | undefined;
  let databaseUrl: string | undefined;
  if (database.name === "postgres") {
    databaseUrl = process.env.TEST_DATABASE_URL;
    pgSchema = `t_${randomBytes(6).toString("hex")}`;
  }
  const config = loadConfig(
    { host: "127.0.0.1", port: env.CLOAKROOM_PORT ?? 0, dataDir, databaseUrl },
    {
      // The run worker's tuning may come from the test process (tests shorten retries); nothing else does.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("CLOAKROOM_RUN_"))),
      CLOAKROOM_LOG_LEVEL: "info",
      CLOAKROOM_ALLOW_PRIVATE_TARGETS: "true",
      ...env,
    },
  );
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  const cloakroom = await createCloakroom(config, { logger, ...(pgSchema ? { pgSchema } : {}) });
  const url = await cloakroom.listen();

  const request: TestServer["request"] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    return readTestResponse(await fetch(url + path, { method, headers, body }));
  };

  return {
    url,
    cloakroom,
    logs,
    config,
    request,
    async setup(options = {}) {
      const org = options.org ?? "acme";
      const email = options.email ?? "owner@example.com";
      const password = options.password ?? "correct horse battery staple";
      const res = await request("POST", "/v1/setup", { body: { org, email, password } });
      if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${res.text}`);
      return { token: res.body.token as string, org, email, password };
    },
    async addMember({ token, org, email, role, password = "member password 1" }) {
      const invited = await request("POST", `/v1/orgs/${org}/members`, { token, body: { email, role } });
      if (invited.status !== 201) throw new Error(`invitation failed: ${invited.status} ${invited.text}`);
      const accepted = await request("POST", "/v1/invitations/accept", {
        body: { token: invited.body.inviteToken, password },
      });
      if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${accepted.text}`);
      const me = await request("GET", "/v1/me", { token: accepted.body.token });
      return { token: accepted.body.token as string, userId: me.body.user.id as string };
    },
    async close() {
      await cloakroom.close();
      if (pgSchema && databaseUrl) {
        const pg = (await import("pg")).default;
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        await client.query(`drop schema if exists ${pgSchema} cascade`).finally(() => client.end());
      }
    },
  };
}

export type { TestDatabase, TestStore };

/**
 * An acknowledged write survives SIGKILL: the server is killed in the middle of concurrent writes, and
 * after a restart every secret whose create answered 201 is there, with a value runs can use.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import pg from "pg";
import { tempDir, testDatabases } from "../src/testing/databases.js";
import { startServerProcess } from "../src/testing/process.js";

async function json(url: string, method: string, token: string | undefined, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, unknown> };
}

for (const database of testDatabases()) {
  describe(`durability on ${database.name}`, () => {
    it("every acknowledged create survives a SIGKILL during concurrent writes", async () => {
      const dataDir = tempDir();
      const env: Record<string, string> = { CLOAKROOM_ROOT_KEY: randomBytes(32).toString("base64") };
      let schema: string | undefined;
      if (database.name === "postgres") {
        schema = `t_${randomBytes(6).toString("hex")}`;
        const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await client.connect();
        await client.query(`create schema ${schema}`);
        await client.end();
        env.DATABASE_URL = `${process.env.TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      }
      try {
        const first = await startServerProcess(["--data-dir", dataDir], env);
        const setup = await json(`${first.url}/v1/setup`, "POST", undefined, {
          org: "acme",
          email: "owner@example.com",
          password: "correct horse battery staple",
        });
        assert.equal(setup.status, 201);
        const token = setup.body.token as string;

        const acknowledged: string[] = [];
        let next = 0;
        let killed = false;
        const writer = async () => {
          while (!killed) {
            const name = `DURABLE_${next++}`;
            try {
              const res = await json(`${first.url}/v1/orgs/acme/secrets`, "POST", token, {
                name,
                type: "token",
                value: `durable-value-${name}`,
              });
              if (res.status === 201) acknowledged.push(name);
            } catch {
              return; // the connection died with the server
            }
          }
        };
        const writers = Array.from({ length: 8 }, writer);
        while (acknowledged.length < 60) await new Promise((r) => setTimeout(r, 5));
        killed = true;
        assert.equal(await first.stop("SIGKILL"), null);
        await Promise.all(writers);

        const second = await startServerProcess(["--data-dir", dataDir], env);
        try {
          const list = await json(`${second.url}/v1/orgs/acme/secrets`, "GET", token);
          assert.equal(list.status, 200);
          const names = new Set((list.body.secrets as { name: string }[]).map((s) => s.name));
          const lost = acknowledged.filter((n) => !names.has(n));
          assert.deepEqual(
            lost,
            [],
            `${lost.length} of ${acknowledged.length} acknowledged writes were lost`,
          );
        } finally {
          await second.stop();
        }
      } finally {
        if (schema) {
          const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
          await client.connect();
          await client.query(`drop schema if exists ${schema} cascade`);
          await client.end();
        }
      }
    });
  });
}

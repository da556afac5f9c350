/**
 * End-to-end: `cloakroom serve`, `audit verify` and `keys rotate` as real processes over each test database.
 * The promises protected: a bad setting or a wrong root key stops start-up with one clear line, exit 1, and
 * changes nothing (D3); an edited audit entry is found and named (A3); the root key rotates while a server
 * keeps serving, a restart with the new key works and the old key no longer opens the database (S10).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type CloakroomClient, createClient } from "../client/index.js";
import { baseEnv, databaseUrlFor, runCloakroom, runInProcess } from "../testing/cli.js";
import { type TestStore, testDatabases } from "../testing/databases.js";
import { type ServerProcess, startServerProcess } from "../testing/process.js";

const OWNER = { email: "owner@example.com", password: "correct horse battery staple" };

function newKey(): string {
  return randomBytes(32).toString("base64");
}

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  const errors = lines.filter((l) => l.startsWith("error: "));
  assert.equal(errors.length, 1, stderr);
  assert.match(errors[0] ?? "", pattern);
  assert.ok(!/^\s+at /m.test(stderr), `a stack trace was printed:\n${stderr}`);
}

/** The parts of a database that start-up could change: key check, users, secrets, audit entries. */
async function snapshot(store: TestStore): Promise<string> {
  const meta = await store.db.selectFrom("meta").selectAll().orderBy("key").execute();
  const count = async (table: "users" | "secrets" | "audit_log" | "data_keys") =>
    Number(
      (
        await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return JSON.stringify({
    meta,
    users: await count("users"),
    secrets: await count("secrets"),
    audit: await count("audit_log"),
    keys: await count("data_keys"),
  });
}

describe("cloakroom serve refuses a bad configuration before touching anything", {
  concurrency: true,
}, () => {
  const env = { ...baseEnv(), CLOAKROOM_LOG_LEVEL: "warn" };
  const scratch = mkdtempSync(join(tmpdir(), "cloakroom-serve-bad-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test("a port out of range is named, exit 1, and no data directory is created", async () => {
    const dir = join(scratch, "port");
    const r = await runCloakroom(["serve", "--port", "99999", "--data-dir", dir], { env });
    assert.equal(r.code, 1);
    assertOneLineError(r.stderr, /--port \/ CLOAKROOM_PORT/);
    assert.equal(existsSync(dir), false);
  });

  test("a DATABASE_URL that is not PostgreSQL is named, exit 1", async () => {
    const dir = join(scratch, "url");
    const r = await runCloakroom(["serve", "--data-dir", dir], {
      env: { ...env, DATABASE_URL: "mysql://db/x" },
    });
    assert.equal(r.code, 1);
    assertOneLineError(r.stderr, /DATABASE_URL/);
    assert.equal(existsSync(dir), false);
  });

  test("an unreachable PostgreSQL is reported as such, exit 1, without the password", async () => {
    const dir = join(scratch, "unreachable");
    const r = await runCloakroom(["serve", "--data-dir", dir], {
      env: {
        ...env,
        DATABASE_URL: "postgres://user:pg-password-123@127.0.0.1:9/none",
        CLOAKROOM_ROOT_KEY: newKey(),
      },
    });
    assert.equal(r.code, 1);
    assertOneLineError(r.stderr, /cannot open the database \(PostgreSQL 127\.0\.0\.1:9\/none\)/);
    assert.ok(!r.stderr.includes("pg-password-123"));
  });

  test("a malformed CLOAKROOM_ROOT_KEY is named without its value, before a database is created", async () => {
    const dir = join(scratch, "badkey");
    const r = await runCloakroom(["serve", "--data-dir", dir], {
      env: { ...env, CLOAKROOM_ROOT_KEY: "not-a-key-abc" },
    });
    assert.equal(r.code, 1);
    assertOneLineError(r.stderr, /CLOAKROOM_ROOT_KEY/);
    assert.ok(!r.stderr.includes("not-a-key-abc"));
    assert.equal(existsSync(join(dir, "cloakroom.db")), false);
  });

  test("a port already in use is named, exit 1", async () => {
    const first = await startServerProcess(["--data-dir", join(scratch, "busy1")], { DATABASE_URL: "" });
    try {
      const port = new URL(first.url).port;
      const r = await runCloakroom(["serve", "--port", port, "--data-dir", join(scratch, "busy2")], { env });
      assert.equal(r.code, 1);
      assertOneLineError(
        r.stderr,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`),
      );
    } finally {
      assert.equal(await first.stop(), 0, first.output());
    }
  });
});

for (const database of testDatabases()) {
  describe(`serve, audit verify and keys rotate as processes (${database.name})`, () => {
    const stores: TestStore[] = [];
    const servers: ServerProcess[] = [];
    after(async () => {
      for (const s of servers) await s.stop("SIGKILL").catch(() => undefined);
      for (const s of stores) await s.dispose().catch(() => undefined);
    });

    async function freshDatabase() {
      const store = await database.open();
      stores.push(store);
      const url = databaseUrlFor(store.config);
      const dbArgs = ["--data-dir", store.config.dataDir, ...(url ? ["--database-url", url] : [])];
      return { store, dbArgs, dataDir: store.config.dataDir };
    }
    async function serve(dbArgs: string[], env: Record<string, string> = {}) {
      const server = await startServerProcess(dbArgs, { DATABASE_URL: "", CLOAKROOM_ROOT_KEY: "", ...env });
      servers.push(server);
      return server;
    }
    const cli = (args: string[], env: Record<string, string> = {}) =>
      runCloakroom(args, { env: { ...baseEnv(), CLOAKROOM_LOG_LEVEL: "warn", ...env } });
    // The same command in this process, for steps where the process boundary is not the point.
    const cliHere = (args: string[], env: Record<string, string> = {}) =>
      runInProcess(args, { env: { ...baseEnv(), CLOAKROOM_LOG_LEVEL: "warn", ...env } });
    async function owner(url: string): Promise<CloakroomClient> {
      const anonymous = createClient({ baseUrl: url, timeoutMs: 20_000 });
      try {
        return anonymous.withToken((await anonymous.setup({ org: "acme", ...OWNER })).token);
      } catch {
        return anonymous.withToken((await anonymous.login(OWNER)).token);
      }
    }

    test("audit verify passes a good log and names the first edited entry (exit 3)", async () => {
      const { store, dbArgs } = await freshDatabase();
      const server = await serve(dbArgs);
      const client = await owner(server.url);
      for (const name of ["ONE", "TWO", "THREE"]) {
        await client.secrets.create({ org: "acme" }, { name, type: "token", value: `value-of-${name}` });
      }
      const good = await cliHere(["audit", "verify", ...dbArgs]);
      assert.equal(good.code, 0, good.stdout + good.stderr);
      const checked = Number(/^audit log verified: (\d+) entries;/m.exec(good.stdout)?.[1]);
      assert.ok(checked >= 4, good.stdout);

      const target = await store.db
        .selectFrom("audit_log")
        .select(["id"])
        .where("action", "like", "secret.%")
        .orderBy("chain_seq")
        .executeTakeFirstOrThrow();
      await store.db
        .updateTable("audit_log")
        .set({ target_name: "SOMEONE_ELSE" })
        .where("id", "=", target.id)
        .execute();
      const bad = await cli(["audit", "verify", ...dbArgs]);
      assert.equal(bad.code, 3, bad.stdout + bad.stderr);
      assertOneLineError(bad.stderr, new RegExp(`entry ${target.id} .*edited`));
      assert.equal(await server.stop(), 0, server.output());
    });

    test("audit verify fails on a log cut short, on one deleted whole, and without an anchor file (exit 3)", async () => {
      const { store, dbArgs, dataDir } = await freshDatabase();
      const server = await serve(dbArgs);
      const client = await owner(server.url);
      for (const name of ["ONE", "TWO", "THREE", "FOUR"]) {
        await client.secrets.create({ org: "acme" }, { name, type: "token", value: `value-of-${name}` });
      }
      assert.equal(await server.stop(), 0, server.output());
      const good = await cliHere(["audit", "verify", ...dbArgs]);
      assert.equal(good.code, 0, good.stdout + good.stderr);
      assert.match(good.stdout, /chain\(s\) checked against .*audit-anchors\.jsonl/);

      const missing = await cli(["audit", "verify", ...dbArgs, "--anchors", join(dataDir, "nowhere.jsonl")]);
      assert.equal(missing.code, 3, missing.stdout + missing.stderr);
      assertOneLineError(missing.stderr, /no anchor file at .*nowhere\.jsonl/);

      // Remove the last two entries of the organization's chain and move its head back: no key is needed.
      const org = await store.db
        .selectFrom("orgs")
        .select("id")
        .where("slug", "=", "acme")
        .executeTakeFirstOrThrow();
      const top = await store.db
        .selectFrom("audit_heads")
        .select("chain_seq")
        .where("chain", "=", org.id)
        .executeTakeFirstOrThrow();
      const keep = Number(top.chain_seq) - 2;
      const kept = await store.db
        .selectFrom("audit_log")
        .select("hash")
        .where("chain", "=", org.id)
        .where("chain_seq", "=", keep)
        .executeTakeFirstOrThrow();
      await store.db
        .deleteFrom("audit_log")
        .where("chain", "=", org.id)
        .where("chain_seq", ">", keep)
        .execute();
      await store.db
        .updateTable("audit_heads")
        .set({ chain_seq: keep, hash: kept.hash })
        .where("chain", "=", org.id)
        .execute();
      const cut = await cli(["audit", "verify", ...dbArgs]);
      assert.equal(cut.code, 3, cut.stdout + cut.stderr);
      assertOneLineError(
        cut.stderr,
        new RegExp(`chain ends at entry ${keep} but was anchored at ${keep + 2} entries`),
      );

      await store.db.deleteFrom("audit_log").execute();
      await store.db.deleteFrom("audit_heads").execute();
      const gone = await cli(["audit", "verify", ...dbArgs]);
      assert.equal(gone.code, 3, gone.stdout + gone.stderr);
      assertOneLineError(gone.stderr, /the chain is missing: it was anchored/);
    });

    test("keys rotate with a key file: the running server keeps serving, a restart uses the new key, the old one is refused", async () => {
      const { store, dbArgs, dataDir } = await freshDatabase();
      let server = await serve(dbArgs);
      let client = await owner(server.url);
      await client.secrets.create(
        { org: "acme" },
        { name: "KEPT", type: "token", value: "kept-value-1", visibility: "masked" },
      );
      const keyFile = join(dataDir, "root.key");
      const oldKey = readFileSync(keyFile, "utf8");

      const r = await cli(["keys", "rotate", ...dbArgs]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /rotated the root key: 1 data key\(s\) rewrapped/);
      const newKeyText = readFileSync(keyFile, "utf8");
      assert.notEqual(newKeyText, oldKey);
      assert.equal(readFileSync(`${keyFile}.previous`, "utf8"), oldKey);
      for (const f of [keyFile, `${keyFile}.previous`]) assert.equal(statSync(f).mode & 0o777, 0o600);
      assert.deepEqual(
        readdirSync(dataDir)
          .filter((f) => f.startsWith("root.key"))
          .sort(),
        ["root.key", "root.key.previous"],
      );
      assert.ok(
        !r.stdout.includes(newKeyText.trim()) && !r.stdout.includes(oldKey.trim()),
        "no key material printed",
      );

      // The running server holds its data keys: it goes on reading and writing.
      assert.equal((await client.secrets.reveal({ org: "acme" }, "KEPT")).value, "kept-value-1");
      await client.secrets.updateValue({ org: "acme" }, "KEPT", { value: "kept-value-2" });
      assert.equal((await client.secrets.reveal({ org: "acme" }, "KEPT")).value, "kept-value-2");
      // A data key created after the rotation by the running server must be wrapped by the new root key.
      await client.orgs.create({ slug: "after", name: "After" });
      await client.secrets.create(
        { org: "after" },
        { name: "LATER", type: "token", value: "later-value", visibility: "masked" },
      );
      assert.equal(await server.stop(), 0, server.output());

      server = await serve(dbArgs);
      client = await owner(server.url);
      assert.equal((await client.secrets.reveal({ org: "acme" }, "KEPT")).value, "kept-value-2");
      assert.equal((await client.secrets.reveal({ org: "after" }, "LATER")).value, "later-value");
      assert.equal(await server.stop(), 0, server.output());

      const before = await snapshot(store);
      const stale = await cli(["serve", "--port", "0", ...dbArgs], { CLOAKROOM_ROOT_KEY: oldKey.trim() });
      assert.equal(stale.code, 1, stale.stdout + stale.stderr);
      assertOneLineError(stale.stderr, /root key .* does not match this database/);
      assert.equal(await snapshot(store), before, "a refused start changed the database");

      const verify = await cliHere(["audit", "verify", ...dbArgs]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      const rotation = await store.db
        .selectFrom("audit_log")
        .select(["action"])
        .where("action", "=", "key.rotate")
        .execute();
      assert.equal(rotation.length, 1, "the rotation is audited");
    });

    test("keys rotate with CLOAKROOM_ROOT_KEY writes the new key to --new-key-file and nowhere else", async () => {
      const { store, dbArgs, dataDir } = await freshDatabase();
      const k1 = newKey();
      let server = await serve(dbArgs, { CLOAKROOM_ROOT_KEY: k1 });
      let client = await owner(server.url);
      await client.secrets.create(
        { org: "acme" },
        { name: "ENV_KEPT", type: "token", value: "env-value-1", visibility: "masked" },
      );

      const refused = await cliHere(["keys", "rotate", ...dbArgs], { CLOAKROOM_ROOT_KEY: k1 });
      assert.equal(refused.code, 1);
      assertOneLineError(refused.stderr, /--new-key-file.*Nothing was changed/);

      const before = await snapshot(store);
      const wrong = await cliHere(
        ["keys", "rotate", ...dbArgs, "--new-key-file", join(dataDir, "never.key")],
        {
          CLOAKROOM_ROOT_KEY: newKey(),
        },
      );
      assert.equal(wrong.code, 1);
      assertOneLineError(wrong.stderr, /does not match this database/);
      assert.equal(existsSync(join(dataDir, "never.key")), false);
      assert.equal(await snapshot(store), before);

      const target = join(dataDir, "new.key");
      const r = await cli(["keys", "rotate", ...dbArgs, "--new-key-file", target], {
        CLOAKROOM_ROOT_KEY: k1,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /Set CLOAKROOM_ROOT_KEY to its contents/);
      assert.equal(statSync(target).mode & 0o777, 0o600);
      const k2 = readFileSync(target, "utf8").trim();
      assert.equal(Buffer.from(k2, "base64").length, 32);
      assert.equal(existsSync(join(dataDir, "root.key")), false, "no key file appears beside the data");

      assert.equal((await client.secrets.reveal({ org: "acme" }, "ENV_KEPT")).value, "env-value-1");
      assert.equal(await server.stop(), 0, server.output());

      server = await serve(dbArgs, { CLOAKROOM_ROOT_KEY: k2 });
      client = await owner(server.url);
      assert.equal((await client.secrets.reveal({ org: "acme" }, "ENV_KEPT")).value, "env-value-1");
      assert.equal(await server.stop(), 0, server.output());

      const old = await cli(["serve", "--port", "0", ...dbArgs], { CLOAKROOM_ROOT_KEY: k1 });
      assert.equal(old.code, 1);
      assertOneLineError(old.stderr, /does not match this database/);
    });
  });
}

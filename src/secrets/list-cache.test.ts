/**
 * List pages kept until they change, on SQLite (decision 0410): whatever changes a secret of the
 * organization (the API, a consumer, a write at the database's shell, one that displaces another
 * organization's row), the next answer is the page as the database writes it at that moment; while a
 * list trigger is missing nothing is kept; the kept text stays within its size.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import fc from "fast-check";
import { sql } from "kysely";
import { secretRow, testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { createListCache } from "./list-cache.js";
import { installListText } from "./list-text.js";
import { pageOptions, pageText } from "./reads.js";

const sqlite = testDatabases().find((d) => d.name === "sqlite")!;

describe("list pages kept until a secret of their organization changes (SQLite)", () => {
  let server: TestServer;
  let token: string;
  const ids = { acme: "", globex: "", web: "" };

  before(async () => {
    server = await startTestServer(sqlite);
    token = (await server.setup({ org: "acme" })).token;
    const made = [
      await server.request("POST", "/v1/orgs", { token, body: { slug: "globex", name: "Globex" } }),
      await server.request("POST", "/v1/orgs/acme/projects", { token, body: { slug: "web", name: "Web" } }),
    ];
    for (const res of made) assert.equal(res.status, 201, res.text);
    const id = async (table: "orgs" | "projects", slug: string) =>
      (await db().selectFrom(table).select("id").where("slug", "=", slug).executeTakeFirstOrThrow()).id;
    ids.acme = await id("orgs", "acme");
    ids.globex = await id("orgs", "globex");
    ids.web = await id("projects", "web");
  });
  after(() => server.close());
  beforeEach(async () => {
    await db().deleteFrom("consumer_secrets").execute();
    await db().deleteFrom("consumers").execute();
    await db().deleteFrom("secrets").execute();
  });

  const db = () => server.cloakroom.store.db;
  const acme = "/v1/orgs/acme";
  const web = `${acme}/projects/web`;

  /** The pages the tests compare: each scope's, a search, a small page and the next, the archived. */
  const pages = [
    { path: acme, projectId: null, query: {} },
    { path: web, projectId: "web", query: {} },
    { path: web, projectId: "web", query: { q: "a" } },
    { path: acme, projectId: null, query: { limit: "2" } },
    { path: acme, projectId: null, query: { archived: "true" } },
  ] as const;

  /** Asks a page (and the page after it, when there is one) and compares each with a read made now. */
  const assertFresh = async (after: string) => {
    for (const { path, projectId, query } of pages) {
      let cursor: string | undefined;
      for (let n = 0; n < 2; n++) {
        const params = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
        const res = await server.request("GET", `${path}/secrets?${params}`, { token });
        assert.equal(res.status, 200, res.text);
        const limit = Number(params.get("limit") ?? 500);
        const options = {
          archived: params.get("archived") === "true",
          q: params.get("q") ?? undefined,
          limit,
          cursor,
        };
        const scope = { orgId: ids.acme, projectId: projectId && ids.web };
        const now = await pageText(server.cloakroom.store, scope, pageOptions(options), limit);
        // A page with a row that is not plain is the JS path's, never kept.
        if (now !== undefined) assert.equal(res.text, now, `${path}?${params} after ${after}`);
        cursor = res.body.nextCursor ?? undefined;
        if (cursor === undefined) break;
      }
    }
  };
  const create = async (scope: string, name: string) => {
    const body = { name, type: "token", value: `${name.toLowerCase()}-value-0123456789` };
    const res = await server.request("POST", `${scope}/secrets`, { token, body });
    assert.equal(res.status, 201, res.text);
  };
  /** The page of acme's secrets as this node answers it. */
  const orgPage = async () => (await server.request("GET", `${acme}/secrets`, { token })).text;
  const generation = async () =>
    (
      await sql<{
        generation: number;
      }>`select generation from list_generations where org_id = ${ids.acme}`.execute(db())
    ).rows[0]?.generation;

  it("answers a kept page without reading it again, until its organization's generation steps", async () => {
    await create(acme, "KEPT");
    const first = await orgPage();
    const was = await generation();
    // A change the triggers did not see (the generation set back by hand): the kept page is answered.
    await sql`update secrets set description = 'unseen'`.execute(db());
    await sql`update list_generations set generation = ${was} where org_id = ${ids.acme}`.execute(db());
    assert.equal(await orgPage(), first);
    // Any write of the organization's secrets steps it, and the page is read again.
    await sql`update secrets set created_by = 'someone'`.execute(db());
    assert.match(await orgPage(), /"description":"unseen"/);
  });

  it("follows every change, for random sequences of the service's writes, consumers and the shell's", async () => {
    const name = fc.constantFrom("ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON");
    const scope = fc.constantFrom(acme, web);
    const op = fc.oneof(
      fc.record({ kind: fc.constant("create" as const), scope, name }),
      fc.record({ kind: fc.constant("describe" as const), scope, name, text: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant("rotate" as const), scope, name }),
      fc.record({ kind: fc.constantFrom("archive" as const, "restore" as const), scope, name }),
      fc.record({ kind: fc.constant("delete" as const), scope, name }),
      fc.record({
        kind: fc.constant("hook" as const),
        names: fc.uniqueArray(name, { minLength: 1, maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant("unhook" as const) }),
      fc.record({ kind: fc.constant("shell" as const), name, text: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant("shell_delete" as const), name }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
        await db().deleteFrom("consumer_secrets").execute();
        await db().deleteFrom("consumers").execute();
        await db().deleteFrom("secrets").execute();
        const hooks: string[] = [];
        await assertFresh("a reset");
        for (const o of ops) {
          const at = (path: string) =>
            `${"scope" in o ? o.scope : acme}/secrets/${"name" in o ? o.name : ""}${path}`;
          switch (o.kind) {
            case "create":
              await server.request("POST", `${o.scope}/secrets`, {
                token,
                body: { name: o.name, type: "token", value: `${o.name}-value-0123456789` },
              });
              break;
            case "describe":
              await server.request("PATCH", at(""), { token, body: { description: o.text } });
              break;
            case "rotate":
              await server.request("PUT", at("/value"), {
                token,
                body: { value: "rotated-value-0123456789" },
              });
              break;
            case "archive":
            case "restore":
              await server.request("POST", at(`/${o.kind}`), { token });
              break;
            case "delete":
              await server.request("DELETE", at(""), { token });
              break;
            case "hook": {
              const body = {
                name: `Hook ${hooks.length}`,
                secrets: o.names,
                request: { method: "POST", url: "https://hooks.example.com/in" },
              };
              const res = await server.request("POST", `${web}/integrations`, { token, body });
              if (res.status === 201) hooks.push(res.body.id);
              break;
            }
            case "unhook": {
              const id = hooks.pop();
              if (id) await server.request("DELETE", `${web}/integrations/${id}`, { token });
              break;
            }
            case "shell":
              await sql`update secrets set description = ${o.text} where name = ${o.name}`.execute(db());
              break;
            case "shell_delete":
              await sql`delete from secrets where name = ${o.name}`.execute(db());
              break;
          }
          await assertFresh(JSON.stringify(o));
        }
      }),
      { numRuns: 25 },
    );
  });

  it("follows a write made on another connection to the file (another process, the CLI)", async () => {
    await create(acme, "ELSEWHERE");
    assert.match(await orgPage(), /"description":""/);
    const other = new SQLite(join(server.config.dataDir, "cloakroom.db"));
    try {
      other.prepare("update secrets set description = 'from elsewhere'").run();
    } finally {
      other.close();
    }
    assert.match(await orgPage(), /"description":"from elsewhere"/);
  });

  it("follows a row moved to another organization, and one displaced by another organization's", async () => {
    await create(acme, "GONE");
    assert.match(await orgPage(), /"name":"GONE"/);
    await sql`update secrets set org_id = ${ids.globex} where name = 'GONE'`.execute(db());
    assert.doesNotMatch(await orgPage(), /"name":"GONE"/);
    await create(acme, "MOVED");
    const before = await orgPage();
    assert.match(before, /"name":"MOVED"/);
    const { id } = await db()
      .selectFrom("secrets")
      .select("id")
      .where("name", "=", "MOVED")
      .executeTakeFirstOrThrow();
    // globex's row takes MOVED's id: SQLite deletes acme's row without running its delete triggers.
    const row = { ...secretRow({ orgId: ids.globex, projectId: null, name: "TAKEN", by: "x" }), id };
    await db().replaceInto("secrets").values(row).execute();
    assert.doesNotMatch(await orgPage(), /"name":"MOVED"/);
    await assertFresh("a displacing write");
  });

  it("starts a generation anew at a random number: a row deleted by hand does not give a kept one back", async () => {
    await create(acme, "FIRST");
    // The organization's row made again by one write (created_by is in no list text: one step), twice,
    // around a change: from the same first number, the second would be the kept page's generation.
    const again = async (by: string) => {
      await sql`delete from list_generations`.execute(db());
      await sql`update secrets set created_by = ${by}`.execute(db());
    };
    await again("one");
    const first = await orgPage();
    await sql`update secrets set description = 'changed'`.execute(db());
    await again("two");
    assert.notEqual(await orgPage(), first);
    assert.match(await orgPage(), /"description":"changed"/);
    await assertFresh("a generation made again");
  });

  it("keeps nothing while a list trigger is missing, and again once a node installs them", async () => {
    await create(acme, "TRIGGERED");
    await orgPage();
    const [step] = (
      await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'
        and name like 'secrets_list_generation_%_update'`.execute(db())
    ).rows;
    await sql`drop trigger ${sql.id(step!.name)}`.execute(db());
    // Without the trigger nothing steps on an update, yet every page is read again.
    for (const text of ["one", "two"]) {
      await sql`update secrets set description = ${text}`.execute(db());
      assert.match(await orgPage(), new RegExp(`"description":"${text}"`));
    }
    await installListText(server.cloakroom.store);
    await orgPage();
    await sql`update secrets set description = 'three'`.execute(db());
    assert.match(await orgPage(), /"description":"three"/);
    // Dropped, a write, installed again, all between two pages: the schema's version tells the kept page
    // (of the same generation) from the database's.
    await sql`drop trigger ${sql.id(step!.name)}`.execute(db());
    await sql`update secrets set description = 'four'`.execute(db());
    await installListText(server.cloakroom.store);
    assert.match(await orgPage(), /"description":"four"/);
    await assertFresh("the triggers installed again");
  });

  it("keeps at most its size of text, the least recently asked pages dropped first", async () => {
    const names = (
      await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'
        and name like 'secrets_list_%'`.execute(db())
    ).rows.map((r) => r.name);
    const cache = createListCache(names, 250);
    const key = (after: string) => ({
      scope: { orgId: ids.acme, projectId: null },
      archived: false,
      contains: undefined,
      after,
      limit: 1,
    });
    let reads = 0;
    const read = async () => {
      reads += 1;
      return "x".repeat(100);
    };
    for (const after of ["a", "b", "a", "c"]) await cache.page(db(), key(after), read);
    // "a" asked again before "c" came, so "b" went: two pages of 100 characters within 250.
    assert.equal(cache.size(), 200);
    assert.equal(reads, 3);
    await cache.page(db(), key("a"), read);
    assert.equal(reads, 3, "a is kept");
    await cache.page(db(), key("b"), read);
    assert.equal(reads, 4, "b was dropped");
    // Two requests for a page not kept, reading at once: one page is kept, and counted once.
    const slow = (text: string) => () => new Promise<string>((resolve) => setTimeout(() => resolve(text), 5));
    await Promise.all([
      cache.page(db(), key("e"), slow("e".repeat(50))),
      cache.page(db(), key("e"), slow("f".repeat(50))),
    ]);
    assert.equal(cache.size(), 250);
    // A search or a cursor holding the character a separator would use is still its own page.
    assert.equal(await cache.page(db(), { ...key(""), contains: "x\u0000y" }, async () => "1"), "1");
    assert.equal(await cache.page(db(), { ...key("y\u0000"), contains: "x" }, async () => "2"), "2");
    // A page longer than the whole cache is answered and not kept.
    assert.equal(await cache.page(db(), key("d"), async () => "y".repeat(300)), "y".repeat(300));
    assert.ok(cache.size() <= 250);
  });
});

describe("list pages with CLOAKROOM_LIST_CACHE_MB=0", () => {
  it("are read from the database on every request", async () => {
    const server = await startTestServer(sqlite, { CLOAKROOM_LIST_CACHE_MB: "0" });
    try {
      const { token } = await server.setup({ org: "acme" });
      const body = { name: "READ", type: "token", value: "read-value-0123456789" };
      assert.equal((await server.request("POST", "/v1/orgs/acme/secrets", { token, body })).status, 201);
      const db = server.cloakroom.store.db;
      const page = async () => (await server.request("GET", "/v1/orgs/acme/secrets", { token })).text;
      await page();
      // A change no generation shows (set back by hand) is on the next page all the same.
      const generation = await sql<{ generation: number }>`select generation from list_generations`.execute(
        db,
      );
      await sql`update secrets set description = 'unseen'`.execute(db);
      await sql`update list_generations set generation = ${generation.rows[0]!.generation}`.execute(db);
      assert.match(await page(), /"description":"unseen"/);
    } finally {
      await server.close();
    }
  });
});

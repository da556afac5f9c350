/**
 * Each secret's list text on SQLite (decision 0340): written by the database on every change of the row,
 * whoever changes it, replaced when a node's code writes other text, and what a page is joined from.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { sql } from "kysely";
import { secretRow, testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { installListText } from "./list-text.js";

const sqlite = testDatabases().find((d) => d.name === "sqlite")!;

describe("a secret's list text on SQLite", () => {
  let server: TestServer;
  let token: string;
  let orgId: string;

  before(async () => {
    server = await startTestServer(sqlite);
    token = (await server.setup({ org: "acme" })).token;
    const db = server.cloakroom.store.db;
    orgId = (await db.selectFrom("orgs").select("id").where("slug", "=", "acme").executeTakeFirstOrThrow())
      .id;
  });
  after(() => server.close());
  afterEach(() => server.cloakroom.store.db.deleteFrom("secrets").execute());

  const db = () => server.cloakroom.store.db;
  const texts = async (name: string) =>
    (
      await sql<{ head: string | null; tail: string | null }>`select list_head as head, list_tail as tail
        from secrets where name = ${name}`.execute(db())
    ).rows[0]!;
  const triggerNames = async () =>
    (
      await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'trigger' order by name`.execute(db())
    ).rows
      .map((r) => r.name)
      // The kept counts' and flags' triggers (list-kept.test.ts) and the pages' generations'
      // (list-cache.test.ts) are other groups.
      .filter((name) => !/^secrets_list_(kept|generation)_/.test(name));
  const page = async () => server.request("GET", "/v1/orgs/acme/secrets?limit=100", { token });
  /** The page's items, as each secret's own answer reads without its consumers. */
  const expected = async (names: string[]) => {
    const items: string[] = [];
    for (const name of names) {
      const { usedBy: _, ...listed } = (
        await server.request("GET", `/v1/orgs/acme/secrets/${name}`, { token })
      ).body;
      items.push(JSON.stringify(listed));
    }
    return `{"secrets":[${items.join(",")}],"nextCursor":null}`;
  };

  const insertRow = (name: string) =>
    db()
      .insertInto("secrets")
      .values(secretRow({ orgId, projectId: null, name, by: "x" }))
      .execute();

  it("is installed when a node starts: two triggers named with one hash of their SQL", async () => {
    const names = await triggerNames();
    const hash = names[0]?.split("_")[3];
    assert.match(hash ?? "", /^[0-9a-f]{12}$/);
    assert.deepEqual(
      names,
      ["insert", "update"].map((event) => `secrets_list_text_${hash}_${event}`),
    );
    await insertRow("EARLY");
    assert.match((await texts("EARLY")).head!, /^\{"name":"EARLY"/);
    assert.equal((await page()).text, await expected(["EARLY"]));
  });

  it("follows the service's writes: create, update, archive", async () => {
    const body = { name: "FOLLOWED", type: "token", value: "followed-value-0123", description: "first" };
    assert.equal((await server.request("POST", "/v1/orgs/acme/secrets", { token, body })).status, 201);
    assert.match((await texts("FOLLOWED")).head!, /"description":"first"/);
    const patch = { description: "second", allowedHosts: ["api.example.com"] };
    const updated = await server.request("PATCH", "/v1/orgs/acme/secrets/FOLLOWED", { token, body: patch });
    assert.equal(updated.status, 200, updated.text);
    const { head } = await texts("FOLLOWED");
    assert.match(head!, /"description":"second","allowedHosts":\["api.example.com"\]$/);
    assert.equal((await page()).text, await expected(["FOLLOWED"]));
    const archive = await server.request("POST", "/v1/orgs/acme/secrets/FOLLOWED/archive", { token });
    assert.equal(archive.status, 200, archive.text);
    assert.match((await texts("FOLLOWED")).tail!, /"archived":true\}$/);
  });

  it("follows a column changed at the database's shell, and a row made not plain and plain again", async () => {
    await insertRow("SHELL");
    await sql`update secrets set description = 'from the shell'`.execute(db());
    assert.match((await texts("SHELL")).head!, /"description":"from the shell"/);
    assert.equal((await page()).text, await expected(["SHELL"]));
    // A row that is not plain keeps no text, and its page is the JS path's answer: a 500 for this one.
    await sql`update secrets set type = 'password'`.execute(db());
    assert.equal((await texts("SHELL")).head, null);
    assert.equal((await page()).status, 500);
    await sql`update secrets set type = 'token'`.execute(db());
    assert.equal((await page()).text, await expected(["SHELL"]));
  });

  it("is what the page is joined from", async () => {
    await insertRow("JOINED");
    const [insert, update] = await triggerNames();
    // Text written by hand stays as written until the row changes, and the page shows it: the page reads
    // no other column (decision 0340: the text is derived data, like an index).
    await sql`update secrets set list_head = '{"name":"MARKED","type":"token","visibility":"restricted","description":"","allowedHosts":[]'`.execute(
      db(),
    );
    assert.match((await page()).text, /"name":"MARKED"/);
    // A node that finds triggers other than its own replaces them and writes every row's text again.
    await sql`drop trigger ${sql.id(insert!)}`.execute(db());
    await sql`create trigger secrets_list_text_0123456789ab_insert after insert on secrets begin
      update secrets set list_head = null where rowid = new.rowid; end`.execute(db());
    await installListText(server.cloakroom.store);
    assert.deepEqual(await triggerNames(), [insert, update]);
    assert.equal((await page()).text, await expected(["JOINED"]));
  });

  it("leaves other triggers on secrets alone, even one that `like` would take for its own", async () => {
    await sql`create trigger secretsXlistXtextXmine after delete on secrets begin select 1; end`.execute(
      db(),
    );
    const ours = (await triggerNames()).filter((name) => name.startsWith("secrets_list_text_"));
    await sql`drop trigger ${sql.id(ours[0]!)}`.execute(db());
    await installListText(server.cloakroom.store);
    assert.ok((await triggerNames()).includes("secretsXlistXtextXmine"));
    assert.equal((await triggerNames()).length, 3);
    await sql`drop trigger secretsXlistXtextXmine`.execute(db());
  });

  it("is written only when a column it is made from changes", async () => {
    await insertRow("QUIET");
    const before = await sql<{ n: number }>`select total_changes() as n`.execute(db());
    await sql`update secrets set created_by = 'someone else'`.execute(db());
    const after = await sql<{ n: number }>`select total_changes() as n`.execute(db());
    // The update, and its organization's generation stepped (list-cache.ts): no text written.
    assert.equal(after.rows[0]!.n - before.rows[0]!.n, 2, "the update and the step alone, no text");
  });

  it("is installed once: a node starting on current triggers changes nothing", async () => {
    await insertRow("ONCE");
    const before = await triggerNames();
    const changes = await sql<{ n: number }>`select total_changes() as n`.execute(db());
    await installListText(server.cloakroom.store);
    assert.deepEqual(await triggerNames(), before);
    const after = await sql<{ n: number }>`select total_changes() as n`.execute(db());
    assert.equal(after.rows[0]!.n, changes.rows[0]!.n);
  });
});

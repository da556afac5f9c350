/**
 * What a page computes for each secret, kept in its row on SQLite (decision 0365): the consumer count
 * (`usageCount`), whether the organization has a secret of the same name (a project secret's
 * `overrides`) and how many project secrets have an organization secret's name (none: no project's page
 * hides it), written by triggers on every change that can move them, whoever makes it, with the page's
 * own semantics (a link whose consumer does not exist is not counted), foreign keys on or off.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import fc from "fast-check";
import { type Kysely, type Migration, sql } from "kysely";
import { migrateToLatest, migrations } from "../store/migrations.js";
import { secretRow, testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { installListText } from "./list-text.js";

const sqlite = testDatabases().find((d) => d.name === "sqlite")!;

interface Kept {
  name: string;
  scope: string;
  usage: number | null;
  counted: number;
  overrides: number | null;
  namesake: number;
  overridden: number | null;
  projects: number | null;
}

describe("a secret's consumer count and override flag kept in its row on SQLite", () => {
  let server: TestServer;
  let token: string;
  let orgId: string;
  const projects: string[] = [];

  before(async () => {
    server = await startTestServer(sqlite);
    token = (await server.setup({ org: "acme" })).token;
    for (const slug of ["web", "api"])
      await server.request("POST", "/v1/orgs/acme/projects", { token, body: { slug, name: slug } });
    orgId = (await db().selectFrom("orgs").select("id").where("slug", "=", "acme").executeTakeFirstOrThrow())
      .id;
    for (const slug of ["web", "api"])
      projects.push(
        (await db().selectFrom("projects").select("id").where("slug", "=", slug).executeTakeFirstOrThrow())
          .id,
      );
  });
  after(() => server.close());
  beforeEach(async () => {
    await db().deleteFrom("consumer_secrets").execute();
    await db().deleteFrom("consumers").execute();
    await db().deleteFrom("secrets").execute();
  });

  const db = () => server.cloakroom.store.db;
  /** Each secret's kept columns beside what the page's own expressions say. */
  const kept = async () =>
    (
      await sql<Kept>`select s.name, coalesce(s.project_id, '') as scope,
        s.list_usage as usage, (select count(*) from consumer_secrets cs join consumers c
          on c.id = cs.consumer_id where cs.secret_id = s.id) as counted,
        s.list_overrides as overrides, coalesce(s.project_id, '') <> '' and exists (select 1 from secrets o
          where o.org_id = s.org_id and coalesce(o.project_id, '') = '' and o.name_key = s.name_key) as namesake,
        s.list_overridden as overridden, case when coalesce(s.project_id, '') = '' then (select count(*)
          from secrets p where p.org_id = s.org_id and p.name_key = s.name_key
            and coalesce(p.project_id, '') <> '') else 0 end as projects
        from secrets s order by s.name, scope`.execute(db())
    ).rows;
  /** `unknown`: after a write that displaced a row, a flag may be null (the page computes it). */
  const assertKept = async (after: string, unknown = false) => {
    const flag = (kept: number | null, computed: number | null, what: string) =>
      (unknown && kept === null) || assert.equal(kept, computed, what);
    for (const row of await kept()) {
      assert.equal(row.usage, row.counted, `${row.name}'s count after ${after}`);
      flag(row.overrides, row.namesake, `${row.name}'s flag after ${after}`);
      flag(row.overridden, row.projects, `${row.name}'s projects after ${after}`);
    }
  };
  /** A scope's page, each item checked against the secret's own answer; its counts and flags by name. */
  const page = async (scope: string) => {
    const res = await server.request("GET", `${scope}/secrets?limit=100`, { token });
    assert.equal(res.status, 200, res.text);
    const shown: Record<string, [number, boolean | undefined]> = {};
    for (const item of res.body.secrets) {
      const { usedBy, ...own } = (await server.request("GET", `${scope}/secrets/${item.name}`, { token }))
        .body;
      assert.deepEqual(item, { ...own, usageCount: usedBy.length }, item.name);
      shown[item.name] = [item.usageCount, item.overrides];
    }
    return shown;
  };
  const web = "/v1/orgs/acme/projects/web";
  const create = async (scope: string, name: string) => {
    const body = { name, type: "token", value: `${name.toLowerCase()}-value-0123456789` };
    const res = await server.request("POST", `${scope}/secrets`, { token, body });
    assert.equal(res.status, 201, res.text);
  };
  const hook = (secrets: string[]) => ({
    name: `Hook ${secrets.join(" ")}`,
    secrets,
    request: { method: "POST", url: "https://hooks.example.com/in" },
  });

  it("follows the service's writes: secrets and consumers created, changed and deleted", async () => {
    await create("/v1/orgs/acme", "ALPHA");
    await create("/v1/orgs/acme", "BETA");
    await create(web, "BETA");
    await create(web, "GAMMA");
    const first = await server.request("POST", `${web}/integrations`, {
      token,
      body: hook(["ALPHA", "BETA"]),
    });
    assert.equal(first.status, 201, first.text);
    const second = await server.request("POST", `${web}/integrations`, { token, body: hook(["ALPHA"]) });
    assert.equal(second.status, 201, second.text);
    await assertKept("the consumers' creates");
    // The project's BETA overrides the organization's, and is what its consumer uses.
    assert.deepEqual(await page(web), { ALPHA: [2, undefined], BETA: [1, true], GAMMA: [0, false] });
    assert.deepEqual(await page("/v1/orgs/acme"), { ALPHA: [2, undefined], BETA: [0, undefined] });
    const put = await server.request("PUT", `${web}/integrations/${first.body.id}`, {
      token,
      body: hook(["GAMMA"]),
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(
      (await server.request("DELETE", `${web}/integrations/${second.body.id}`, { token })).status,
      204,
    );
    await assertKept("a consumer's change and another's delete");
    assert.equal((await server.request("DELETE", "/v1/orgs/acme/secrets/BETA", { token })).status, 204);
    await create("/v1/orgs/acme", "GAMMA");
    await assertKept("an organization secret's delete and another's create");
    assert.deepEqual(await page(web), { ALPHA: [0, undefined], BETA: [0, false], GAMMA: [1, true] });
  });

  it("is what the page reads: written by hand it is shown as written, and none kept is computed", async () => {
    await create("/v1/orgs/acme", "ALPHA");
    await create(web, "ALPHA");
    await server.request("POST", `${web}/integrations`, { token, body: hook(["ALPHA"]) });
    // Derived data, like an index and like the list text (decision 0340): the page reads the columns.
    await sql`update secrets set list_usage = 7, list_overrides = 0`.execute(db());
    const item = async () => (await server.request("GET", `${web}/secrets`, { token })).body.secrets[0];
    assert.deepEqual([(await item()).usageCount, (await item()).overrides], [7, false]);
    // None kept (a row written while other code's triggers were installed): the page computes them, and
    // probes for the organization secrets the project's hide.
    await sql`update secrets set list_usage = null, list_overrides = null, list_overridden = null`.execute(
      db(),
    );
    const items = (await server.request("GET", `${web}/secrets`, { token })).body.secrets;
    assert.deepEqual(
      items.map((i: { scope: string; usageCount: number; overrides: boolean }) => [
        i.scope,
        i.usageCount,
        i.overrides,
      ]),
      [["project", 1, true]],
    );
    // A node that finds other triggers of this group replaces them and writes every row's columns again.
    const ours = (
      await sql<{ name: string }>`select name from sqlite_master
        where type = 'trigger' and name like 'secrets\\_list\\_kept\\_%\\_use' escape '\\'`.execute(db())
    ).rows[0]!.name;
    await sql`drop trigger ${sql.id(ours)}`.execute(db());
    await installListText(server.cloakroom.store);
    await assertKept("a new install");
  });

  it("is left alone by code that replaces the list text's triggers (a node from before 0365)", async () => {
    const group = async () =>
      (
        await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'
          and substr(name, 1, 18) = 'secrets_list_kept_' order by name`.execute(db())
      ).rows.map((r) => r.name);
    const before = await group();
    const text = (
      await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'
        and substr(name, 1, 18) = 'secrets_list_text_'`.execute(db())
    ).rows;
    for (const { name } of text) await sql`drop trigger ${sql.id(name)}`.execute(db());
    await sql`create trigger secrets_list_text_0123456789ab_insert after insert on secrets begin
      select 1; end`.execute(db());
    await create("/v1/orgs/acme", "ALPHA");
    await create(web, "ALPHA");
    await assertKept("a create under other code's list text");
    await installListText(server.cloakroom.store);
    assert.deepEqual(await group(), before);
  });

  it("is dropped before a migration, which may rebuild a table its triggers read, and installed after", async () => {
    await create("/v1/orgs/acme", "ALPHA");
    await create(web, "ALPHA");
    // SQLite's rebuild of a table: create its copy, fill it, drop the table, rename the copy, index it.
    const rebuild = async (tx: Kysely<unknown>, table: string) => {
      const schema = async (type: string) =>
        (
          await sql<{ sql: string }>`select sql from sqlite_master
              where type = ${type} and tbl_name = ${table} and sql is not null`.execute(tx)
        ).rows.map((r) => r.sql);
      const [create] = await schema("table");
      const indexes = await schema("index");
      await sql.raw(create!.replace(/create table "?\w+"?/i, `create table ${table}_new`)).execute(tx);
      await sql.raw(`insert into ${table}_new select * from ${table}`).execute(tx);
      await sql.raw(`drop table ${table}`).execute(tx);
      await sql.raw(`alter table ${table}_new rename to ${table}`).execute(tx);
      for (const index of indexes) await sql.raw(index).execute(tx);
    };
    await sql`pragma foreign_keys = off`.execute(db());
    try {
      await assert.rejects(
        server.cloakroom.store.transaction((tx) => rebuild(tx as never, "consumer_secrets")),
        /no such table: main.consumer_secrets/,
      );
      // A pending migration that rebuilds both tables: the migrator drops the triggers first.
      const rebuilds: Record<string, Migration> = {
        ...migrations,
        "9999_rebuild": {
          async up(tx) {
            await rebuild(tx, "consumer_secrets");
            await rebuild(tx, "secrets");
          },
        },
      };
      await migrateToLatest(server.cloakroom.store, rebuilds);
    } finally {
      await sql`pragma foreign_keys = on`.execute(db());
    }
    await sql`update secrets set list_overrides = 0, list_head = null`.execute(db());
    await installListText(server.cloakroom.store);
    await assertKept("a rebuild and a new install");
    assert.equal((await server.request("GET", `${web}/secrets`, { token })).body.secrets[0].overrides, true);
  });

  it("follows any change of the three tables at the shell, foreign keys off", async () => {
    const secretIds = ["s0", "s1", "s2", "s3"];
    const consumers = ["c0", "c1", "c2", "c3"];
    const scopes = [null, ...projects];
    const names = ["A", "B"];
    const op = fc.oneof(
      fc.record({ kind: fc.constantFrom("consumer", "unconsumer"), c: fc.constantFrom(...consumers) }),
      fc.record({
        kind: fc.constantFrom("link", "unlink"),
        c: fc.constantFrom(...consumers),
        s: fc.constantFrom(...secretIds),
      }),
      fc.record({
        kind: fc.constant("relink"),
        c: fc.constantFrom(...consumers),
        s: fc.constantFrom(...secretIds),
        to: fc.constantFrom(...secretIds, ...consumers),
      }),
      fc.record({
        kind: fc.constantFrom("secret", "move", "replace", "move or replace"),
        s: fc.constantFrom(...secretIds),
        scope: fc.constantFrom(...scopes),
        name: fc.constantFrom(...names),
      }),
      fc.record({ kind: fc.constant("unsecret"), s: fc.constantFrom(...secretIds) }),
      fc.record({
        kind: fc.constant("rename consumer"),
        from: fc.constantFrom(...consumers),
        to: fc.constantFrom(...consumers),
      }),
      fc.record({
        kind: fc.constantFrom("rename secret", "rename or replace"),
        from: fc.constantFrom(...secretIds),
        to: fc.constantFrom(...secretIds),
      }),
    );
    /** Where a run starts: three consumers, the four secrets in three scopes, some of the links. */
    const pairs = consumers.slice(0, 3).flatMap((c) => secretIds.map((s) => ({ c, s })));
    const start: { kind: "consumer"; c: string }[] = consumers
      .slice(0, 3)
      .map((c) => ({ kind: "consumer" as const, c }));
    const placed = secretIds.map((s, i) => ({
      kind: "secret" as const,
      s,
      scope: scopes[i % scopes.length]!,
      name: names[i === 3 ? 1 : 0]!,
    }));
    type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
    const now = new Date().toISOString();
    const consumerRow = (id: string) => ({
      ...{ id, org_id: orgId, project_id: projects[0]!, kind: "integration" as const, name: id },
      ...{ event: "", enabled: 1, config: "{}", created_at: now, updated_at: now },
    });
    const apply = async (o: Op) => {
      const d = db();
      if (o.kind === "consumer") await d.insertInto("consumers").values(consumerRow(o.c)).execute();
      if (o.kind === "unconsumer") await d.deleteFrom("consumers").where("id", "=", o.c).execute();
      if (o.kind === "link")
        await d
          .insertInto("consumer_secrets")
          .values({ consumer_id: o.c, secret_id: o.s, name: o.s })
          .execute();
      if (o.kind === "unlink")
        await d
          .deleteFrom("consumer_secrets")
          .where("consumer_id", "=", o.c)
          .where("secret_id", "=", o.s)
          .execute();
      if (o.kind === "relink")
        await d
          .updateTable("consumer_secrets")
          .set({ [secretIds.includes(o.to) ? "secret_id" : "consumer_id"]: o.to })
          .where("consumer_id", "=", o.c)
          .where("secret_id", "=", o.s)
          .execute();
      const placedRow = (o: { s: string; scope: string | null; name: string }) => ({
        ...secretRow({ orgId, projectId: o.scope, name: o.name, by: "p" }),
        id: o.s,
      });
      if (o.kind === "secret") await d.insertInto("secrets").values(placedRow(o)).execute();
      if (o.kind === "move")
        await d
          .updateTable("secrets")
          .set({ project_id: o.scope, name: o.name, name_key: o.name.toLowerCase() })
          .where("id", "=", o.s)
          .execute();
      if (o.kind === "replace") await d.replaceInto("secrets").values(placedRow(o)).execute();
      if (o.kind === "move or replace")
        await sql`update or replace secrets set project_id = ${o.scope}, name = ${o.name},
          name_key = ${o.name.toLowerCase()} where id = ${o.s}`.execute(d);
      if (o.kind === "rename or replace")
        await sql`update or replace secrets set id = ${o.to} where id = ${o.from}`.execute(d);
      if (o.kind === "unsecret") await d.deleteFrom("secrets").where("id", "=", o.s).execute();
      if (o.kind === "rename consumer")
        await d.updateTable("consumers").set({ id: o.to }).where("id", "=", o.from).execute();
      if (o.kind === "rename secret")
        await d.updateTable("secrets").set({ id: o.to }).where("id", "=", o.from).execute();
    };

    await sql`pragma foreign_keys = off`.execute(db());
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.subarray(pairs),
          fc.array(op, { minLength: 4, maxLength: 24 }),
          async (links, ops) => {
            for (const table of ["consumer_secrets", "consumers", "secrets"] as const)
              await db().deleteFrom(table).execute();
            const linked = links.map((l) => ({ kind: "link" as const, ...l }));
            let replaced = false;
            for (const o of [...start, ...placed, ...linked, ...ops]) {
              replaced ||= o.kind.includes("replace");
              // Ids and names come from small sets, so a write may collide with a row that exists: it then
              // fails and changes nothing, as it would at the shell.
              await apply(o).catch((error: Error) => {
                if (!/UNIQUE constraint failed/.test(error.message)) throw error;
              });
              await assertKept(JSON.stringify(o), replaced);
            }
          },
        ),
        {
          numRuns: 150,
          endOnFailure: true,
          // A project secret that becomes its name's organization secret: its own count is written last.
          examples: [
            [
              [],
              [
                { kind: "unsecret", s: "s0" },
                { kind: "move", s: "s1", scope: null, name: "A" },
              ],
            ],
          ],
        },
      );
    } finally {
      await sql`pragma foreign_keys = on`.execute(db());
    }
  });

  it("is written only by a change that can move it", async () => {
    const changes = async () =>
      (await sql<{ n: number }>`select total_changes() as n`.execute(db())).rows[0]!.n;
    // A secret no consumer names and no other secret of its organization shares a name with: its columns
    // are their default, and its insert writes only the row and its text (0340).
    for (const [projectId, name] of [
      [null, "ALPHA"],
      [projects[0]!, "BETA"],
    ] as const) {
      const before = await changes();
      await db()
        .insertInto("secrets")
        .values(secretRow({ orgId, projectId, name, by: "x" }))
        .execute();
      // And after each of those two, a step of the organization's generation (list-cache.ts).
      assert.equal((await changes()) - before, 4, `${name}: the insert, the text's update, two steps`);
    }
    await assertKept("two inserts");
    await db().deleteFrom("secrets").execute();
    await create("/v1/orgs/acme", "ALPHA");
    await server.request("POST", `${web}/integrations`, { token, body: hook(["ALPHA"]) });
    // A secret's own update also steps its organization's generation (list-cache.ts): one more change.
    const writes = [
      [sql`update consumers set name = 'renamed'`, 1],
      [sql`update secrets set created_by = 'someone else'`, 2],
      [sql`update consumer_secrets set name = 'ALPHA_AGAIN'`, 1],
    ] as const;
    for (const [write, count] of writes) {
      const before = await changes();
      await write.execute(db());
      assert.equal((await changes()) - before, count, "the update alone (and the step), no kept column");
    }
  });
});

/**
 * A list page's text is what each of its secrets reads as on its own, byte for byte (decisions 0325 and
 * 0340): on SQLite the page is joined from text the database keeps in each row (list-json.ts, list-text.ts)
 * and a single secret is written by JS and zod, so the two paths must agree on every stored row, odd text
 * and damaged columns included, whether the row was inserted so or changed to it. On PostgreSQL both are JS.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { secretRow, testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

/** Stored host lists (never null): empty, what the service writes, and text a damaged row could hold. */
const hostsText = fc.oneof(
  fc.constant(""),
  fc.constant("[]"),
  fc.array(fc.domain(), { minLength: 1, maxLength: 3 }).map((hosts) => JSON.stringify(hosts)),
  fc.constantFrom("[1]", '["a.example", null]', '{"a":1}', "not json", '["a.example",', '"a.example"'),
  fc.constantFrom('["\\u0061.example"]', '[ "a.example" ,"b.example" ]'),
  fc.constantFrom('["a.example",1]', '["a.example",null,"b.example"]', '["a.example",["b.example"]]'),
);

/**
 * A last accessor as the runtime writes it, text that is no JSON at all or JSON null (both read null), and
 * JSON that is no consumer reference (missing or repeated keys, a number, another kind: the JS path's zod
 * parse refuses it, and the page must then be refused too).
 */
const accessorText = (database: string) =>
  fc.oneof(
    fc.constant(null),
    fc.constant(""),
    fc
      .record({
        kind: fc.constantFrom("integration", "logic", "template", "flow", "installation"),
        id: fc.uuid(),
        name: fc.string({ maxLength: 20 }),
      })
      .map((ref) => JSON.stringify(ref)),
    fc.constantFrom("garbage", "{", "kind=integration", "null"),
    fc.constantFrom(
      '{"kind":"integration"}',
      '{"kind":"secret","id":"i","name":"n"}',
      '{"kind":"logic","id":1,"name":"n"}',
      '{"kind":"logic","id":"i","name":"first","name":"second"}',
      "5",
      '"x"',
      "[]",
    ),
    // Text SQLite and JSON.parse read differently (review of 0340): an escaped lone surrogate (SQLite decodes
    // it to U+FFFD), JSON then a NUL and more (SQLite stops at the NUL), nesting deeper than SQLite takes.
    fc.constantFrom(
      '{"kind":"integration","id":"i","name":"x\\ud800"}',
      `{"kind":"integration","id":"i","name":"n","deep":${"[".repeat(1001)}${"]".repeat(1001)}}`,
      ...(database === "sqlite" ? ['{"kind":"integration","id":"i","name":"n"}\u0000junk'] : []),
    ),
  );

/** Any text the database can hold (PostgreSQL: no NUL): quotes, backslashes, controls, U+2028, astral characters. */
const text = (database: string) =>
  fc
    .string({ unit: "binary", maxLength: 24 })
    .map((s) => (database === "sqlite" ? s : s.replaceAll("\u0000", "\u0001")));

/** A stored row's columns; a version that is no safe integer only where the column can hold one. */
const stored = (database: string) =>
  fc.record({
    project: fc.boolean(),
    description: text(database),
    allowedHosts: hostsText,
    lastAccessedBy: accessorText(database),
    lastAccessedAt: fc.option(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    archived: fc.boolean(),
    version:
      database === "sqlite"
        ? fc.oneof(
            { weight: 8, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
            fc.constantFrom(2.5, 2 ** 60),
          )
        : fc.integer({ min: 1, max: 100_000 }),
    type: fc.constantFrom("token", "username_password", "json", "json", "json", "password"),
    visibility: fc.constantFrom("restricted", "masked"),
    updatedBy: text(database),
    /** Inserted plain, then changed to these columns: the text is then the update trigger's. */
    changed: fc.boolean(),
  });

/** An organization's secret with a damaged last accessor, the base of the examples below. */
const EXAMPLE = {
  project: false,
  description: "",
  allowedHosts: "[]",
  lastAccessedBy: "garbage" as string | null,
  lastAccessedAt: null as string | null,
  archived: false,
  version: 1,
  type: "token" as const,
  visibility: "restricted" as const,
  updatedBy: "",
  changed: false,
};

for (const database of testDatabases()) {
  describe(`a list page's text on ${database.name}`, () => {
    let server: TestServer;
    let token: string;
    let orgId: string;
    let projectId: string;

    before(async () => {
      server = await startTestServer(database);
      token = (await server.setup({ org: "acme" })).token;
      await server.request("POST", "/v1/orgs/acme/projects", { token, body: { slug: "web", name: "Web" } });
      const db = server.cloakroom.store.db;
      orgId = (await db.selectFrom("orgs").select("id").where("slug", "=", "acme").executeTakeFirstOrThrow())
        .id;
      projectId = (await db.selectFrom("projects").select("id").executeTakeFirstOrThrow()).id;
    });
    after(() => server.close());

    it("is each listed secret's own answer without usedBy, in order, for random and damaged rows", async () => {
      const db = server.cloakroom.store.db;
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,11}$/), stored(database.name)), {
            minLength: 1,
            maxLength: 8,
            // A name may be in both scopes: the project's secret then overrides the organization's.
            selector: ([name, s]) => `${name}:${s.project}`,
          }),
          async (secrets) => {
            await db.deleteFrom("secrets").execute();
            const rows = secrets.map(([name, s]) => ({
              ...secretRow({ orgId, projectId: s.project ? projectId : null, name, by: "property" }),
              type: s.type,
              visibility: s.visibility,
              description: s.description,
              allowed_hosts: s.allowedHosts,
              last_accessed_by: s.lastAccessedBy,
              last_accessed_at: s.lastAccessedAt,
              archived: s.archived ? 1 : 0,
              current_version: s.version,
              updated_by: s.updatedBy,
            }));
            const plain = secrets.map(([name, s], i) =>
              s.changed
                ? {
                    ...rows[i]!,
                    ...secretRow({ orgId, projectId: rows[i]!.project_id, name, by: "p" }),
                    id: rows[i]!.id,
                    allowed_hosts: "[]",
                  }
                : rows[i]!,
            );
            await db
              .insertInto("secrets")
              .values(plain as never)
              .execute();
            for (const [i, [, s]] of secrets.entries())
              if (s.changed) {
                const { id, ...columns } = rows[i]!;
                await db
                  .updateTable("secrets")
                  .set(columns as never)
                  .where("id", "=", id)
                  .execute();
              }
            for (const scope of ["/v1/orgs/acme", "/v1/orgs/acme/projects/web"])
              for (const archived of ["false", "true"]) {
                const page = await server.request("GET", `${scope}/secrets?limit=1000&archived=${archived}`, {
                  token,
                });
                // The names this page must hold: the JS path's own answers, one secret at a time.
                const names = rows
                  .filter((r) => r.archived === (archived === "true" ? 1 : 0))
                  .filter((r) => r.project_id === null || scope.endsWith("/web"))
                  .map((r) => r.name)
                  .filter((name, i, all) => all.indexOf(name) === i)
                  .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
                const items: string[] = [];
                let refused = false;
                for (const name of names) {
                  const own = await server.request("GET", `${scope}/secrets/${name}`, { token });
                  if (own.status === 500) {
                    // The refused row is the one the scope reads the name as (a project's own overrides
                    // the organization's): the page holds it only if it is archived as the page asks.
                    if (resolved(rows, name, scope)!.archived === (archived === "true" ? 1 : 0))
                      refused = true;
                  } else if (own.body.archived === (archived === "true")) {
                    const { usedBy: _, ...listed } = own.body;
                    items.push(JSON.stringify(listed));
                  }
                }
                if (refused) {
                  assert.equal(page.status, 500, "a page holding a row zod refuses must be refused");
                  continue;
                }
                assert.equal(page.status, 200, page.text);
                assert.equal(page.headers.get("content-type"), "application/json; charset=utf-8");
                assert.equal(page.text, `{"secrets":[${items.join(",")}],"nextCursor":null}`);
              }
          },
        ),
        {
          numRuns: 40,
          // Found by a run of this test (seed -2023691933): the project's V, refused, overrides the
          // organization's archived V, so the project's archived page lists no V and is not refused.
          examples: [
            [
              [
                [
                  "V",
                  {
                    ...EXAMPLE,
                    allowedHosts: '["a.aa"]',
                    lastAccessedBy: '{"kind":"integration"}',
                    project: true,
                  },
                ],
                ["V", { ...EXAMPLE, allowedHosts: "[1]", archived: true }],
                ["A", EXAMPLE],
              ],
            ],
          ],
        },
      );
    });
  });
}

/** The row a scope reads `name` as: the project's own, else the organization's. */
function resolved<R extends { name: string; project_id: string | null }>(
  rows: R[],
  name: string,
  scope: string,
) {
  const own = scope.endsWith("/web") ? rows.find((r) => r.name === name && r.project_id !== null) : undefined;
  return own ?? rows.find((r) => r.name === name && r.project_id === null);
}

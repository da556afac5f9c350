/**
 * A secret is found by name through the unique index (org, scope, name), however many secrets its
 * organization has: every create, update and delete looks its secret up this way.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CompiledQuery } from "kysely";
import { type TestStore, testDatabases } from "../testing/databases.js";
import { inScope } from "./store.js";

for (const database of testDatabases()) {
  describe(`a secret looked up by scope and name (${database.name})`, () => {
    let store: TestStore;
    before(async () => {
      store = await database.open();
    });
    after(() => store.dispose());

    const plan = async (projectId: string | null) => {
      const query = inScope(store.db, { orgId: "org", projectId }, "API_KEY").compile();
      if (store.dialect === "sqlite") {
        const explained = await store.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
        );
        return explained.rows.map((r) => r.detail).join("\n");
      }
      // An empty table is read whole whatever the indexes: ask for the plan an index allows.
      return store.transaction(async (tx) => {
        await tx.executeQuery(CompiledQuery.raw("set local enable_seqscan = off"));
        const explained = await tx.executeQuery<{ "QUERY PLAN": string }>(
          CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
        );
        return explained.rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
    };

    for (const [scope, projectId] of [
      ["the organization", null],
      ["a project", "project"],
    ] as const) {
      it(`searches the index on all three columns for a secret of ${scope}`, async () => {
        const text = await plan(projectId);
        if (store.dialect === "sqlite")
          assert.match(text, /secrets_scope_name \(org_id=\? AND <expr>=\? AND name_key=\?\)/, text);
        else {
          assert.match(text, /Index Scan using secrets_scope_name/, text);
          assert.match(text, /Index Cond: .*COALESCE\(project_id, ''::text\) = .*name_key = /, text);
          assert.doesNotMatch(text, /Filter:/, text);
        }
      });
    }
  });
}

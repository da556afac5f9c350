import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Action, actions, can } from "./policy.js";
import { type Role, roles } from "./types.js";

// The expected table, written out independently of policy.ts: a change to policy.ts must change this too.
// o = owner, a = admin, e = editor, v = viewer; "E" = editor only when the org lets editors manage secrets;
// "C" = editor only when the org lets editors compute with restricted secrets.
const expected: Record<Action, string> = {
  "org.read": "oaev",
  "org.settings.write": "oa",
  "member.read": "oa",
  "member.write": "oa",
  "token.read": "oa",
  "token.write": "oa",
  "project.read": "oaev",
  "project.write": "oa",
  "secret.read": "oaev",
  "secret.write": "oaE",
  "secret.reveal": "oa",
  "secret.bind": "oa",
  "consumer.read": "oaev",
  "consumer.write": "oae",
  "consumer.run": "oae",
  "consumer.compute_restricted": "oaC",
  "event.publish": "oae",
  "logs.read": "oaev",
  "audit.read": "oa",
};

const letter: Record<Role, string> = { owner: "o", admin: "a", editor: "e", viewer: "v" };

describe("permission table (S11)", () => {
  it("every action x role x setting matches the written-out matrix", () => {
    assert.deepEqual([...actions].sort(), Object.keys(expected).sort(), "the matrix names every action");
    for (const action of actions) {
      for (const role of roles) {
        for (const editorsManageSecrets of [false, true]) {
          for (const editorsComputeWithRestricted of [false, true]) {
            const cell = expected[action];
            const allowed =
              cell.includes(letter[role]) ||
              (role === "editor" && editorsManageSecrets && cell.includes("E")) ||
              (role === "editor" && editorsComputeWithRestricted && cell.includes("C"));
            assert.equal(
              can(role, action, { editorsManageSecrets, editorsComputeWithRestricted }),
              allowed,
              `${role} ${action} (manage=${editorsManageSecrets}, compute=${editorsComputeWithRestricted})`,
            );
          }
        }
      }
    }
  });

  it("an action missing from the table is denied to every role", () => {
    for (const role of roles)
      assert.equal(
        can(role, "secret.destroy_everything" as Action, {
          editorsManageSecrets: true,
          editorsComputeWithRestricted: true,
        }),
        false,
      );
  });

  it("editors who manage secrets still cannot reveal them nor bind them to hosts", () => {
    const org = { editorsManageSecrets: true, editorsComputeWithRestricted: true };
    assert.equal(can("editor", "secret.reveal", org), false);
    assert.equal(can("editor", "secret.bind", org), false);
  });
});

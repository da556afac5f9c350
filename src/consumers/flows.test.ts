import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Step } from "./flow-schema.js";
import { checkFlowSteps, refusedSteps } from "./flows.js";

const deps = {
  async checkLogicSyntax(code: string) {
    return code.includes("{{")
      ? { ok: false as const, message: "SyntaxError (line 1)" }
      : { ok: true as const };
  },
  logicSecretNames: (code: string) => [...code.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]!),
  async installationExists(_projectId: string, name: string) {
    return name === "slack";
  },
};

const http = (id: string, expr: string): Step => ({
  id,
  type: "http",
  request: { method: "POST", url: { expr }, headers: {}, query: {}, body: null },
});

describe("a flow's save rules", () => {
  it("collects the names its expressions and logic steps use, and names each bad field", async () => {
    const steps: Step[] = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
      http("a", "`https://x.test/${secrets.B}` + secrets['A']"),
      { id: "b", type: "logic", code: "export default ({ secrets }) => secrets.C" },
      { id: "c", type: "logic", code: "{{ nope" },
      { id: "d", type: "app", installation: "zendesk", action: "create_ticket", input: {} },
      {
        id: "e",
        type: "app",
        installation: "slack",
        action: "post_message",
        input: { text: { expr: "1 +" } },
      },
    ];
    const { problems, used } = await checkFlowSteps(steps, deps, "p1");
    assert.deepEqual(used, ["A", "B", "C"]);
    assert.deepEqual(
      problems.map((p) => p.field),
      ["body.steps.2.code", "body.steps.3.installation", "body.steps.4.input.text.expr"],
    );
  });

  it("an editor's step is refused only while it computes with a restricted secret, unless it is unchanged", () => {
    const names = (code: string) => deps.logicSecretNames(code);
    const computing = [http("a", "secrets.KEY.toLowerCase()")];
    assert.deepEqual(
      refusedSteps(computing, null, ["KEY"], "upper_snake", names).map((r) => r.step),
      ["a"],
    );
    assert.deepEqual(refusedSteps(computing, computing, ["KEY"], "upper_snake", names), []);
    assert.deepEqual(refusedSteps(computing, null, ["OTHER"], "upper_snake", names), []);
    // Under the alias policy names match ignoring case.
    const alias = [http("a", "secrets.key.length")];
    assert.equal(refusedSteps(alias, null, ["KEY"], "alias", names).length, 1);
    assert.equal(refusedSteps([http("a", "secrets.key")], null, ["KEY"], "alias", names).length, 0);
  });

  it("a step inserting a restricted secret may convert other values by name, but not call code", () => {
    const names = (code: string) => deps.logicSecretNames(code);
    const step = (other: string): Step => ({
      id: "a",
      type: "http",
      request: {
        method: "POST",
        url: { expr: "secrets.KEY" },
        headers: { "X-Order": { expr: other } },
        query: {},
        body: null,
      },
    });
    for (const other of [
      "String(event.data.id)",
      "encodeURIComponent(event.name)",
      "parseInt(event.id, 10)",
    ]) {
      assert.deepEqual(refusedSteps([step(other)], null, ["KEY"], "upper_snake", names), [], other);
    }
    const toJsonRoute = `({ "}), (globalThis.pwn = 1), (function () {": { toJSON: event.constructor.constructor } })`;
    for (const other of ["Math.max(event.data.id)", "String.raw`x`", "[event].map(String)", toJsonRoute]) {
      const refused = refusedSteps([step(other)], null, ["KEY"], "upper_snake", names);
      assert.match(refused[0]?.reason ?? "", /calls code/, other);
    }
    // Converting the restricted secret itself is computing with it.
    const computed = refusedSteps([http("a", "String(secrets.KEY)")], null, ["KEY"], "upper_snake", names);
    assert.equal(computed.length, 1);
  });
});

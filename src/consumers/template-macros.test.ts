/**
 * The macros of message templates (SPEC X5), below the server: what a template names, what it writes that
 * is no macro, and the preview's stand-ins, which never hold anything but `[[SENSITIVE]]`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { renderMessage } from "../runtime/templates/render.js";
import type { TemplateSecrets } from "../runtime/webhook/index.js";
import { previewSecrets, readMacros } from "./template-macros.js";

const one = (template: string) => readMacros([{ field: "body", template }]);
const event = {
  id: "e1",
  name: "order.created",
  data: { city: "Oslo", items: [{ sku: "a" }] },
  publishedAt: "now",
};

describe("message template macros", () => {
  it("secret macros name their secret: secrets.NAME, bare NAME, typed parts, sections", () => {
    const { problems, secrets } = one(
      "{{secrets.Weather_FX}} {{CREDS.username}} {{{secrets.CFG.region.zone}}} {{#TOKEN}}x{{/TOKEN}} {{event.data.city}}",
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(secrets, ["CFG", "CREDS", "TOKEN", "Weather_FX"]);
  });

  it("names inside a section over event data are the items' own, not macros", () => {
    const { problems, secrets } = one("{{#event.data.items}}{{sku}} {{secrets.API}}{{/event.data.items}}");
    assert.deepEqual(problems, []);
    assert.deepEqual(secrets, ["API"]);
  });

  it("event fields other than id, name, data and publishedAt, the whole view and bare secrets are unknown", () => {
    for (const template of [
      "{{event.nope}}",
      "{{event.name.first}}",
      "{{.}}",
      "{{secrets}}",
      "{{secrets.}}",
      "{{a b}}",
    ]) {
      const { problems } = one(template);
      assert.equal(problems.length, 1, template);
      assert.match(problems[0]!.message, /unknown macros/, template);
    }
  });

  it("unbalanced tags and partials are problems of their field", () => {
    assert.match(one("{{#a}}").problems[0]!.message, /unbalanced/);
    assert.match(one("{{x").problems[0]!.message, /unbalanced/);
    assert.match(one("{{>partial}}").problems[0]!.message, /partials/);
  });

  it("any text either parses into known macros and problems or is refused, never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (template) => {
        const report = one(template);
        for (const problem of report.problems) {
          assert.equal(problem.field, "body", "a problem names the field it was found in");
          assert.notEqual(problem.message, "");
        }
        // Text without a tag opener names nothing and has nothing wrong with it.
        if (!template.includes("{{")) assert.deepEqual([report.problems, report.secrets], [[], []]);
        for (const name of report.secrets) assert.match(name, /^[A-Za-z0-9_-]+$/);
      }),
      { numRuns: 500 },
    );
  });

  it("a preview's view holds [[SENSITIVE]] and nothing else, for every secret a template names", () => {
    const macro = fc.constantFrom("secrets.", "");
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/);
    const path = fc.array(fc.stringMatching(/^[a-z]{1,5}$/), { maxLength: 3 });
    fc.assert(
      fc.property(fc.array(fc.tuple(macro, name, path), { minLength: 1, maxLength: 6 }), (refs) => {
        const template = refs.map(([p, n, parts]) => `{{${p}${[n, ...parts].join(".")}}}`).join(" ");
        const { uses, problems } = one(template);
        // A bare `secrets` is refused and a bare `event` is no secret macro.
        if (problems.length > 0 || uses.length === 0) return;
        const leaves: unknown[] = [];
        const walk = (v: unknown) =>
          typeof v === "object" && v ? Object.values(v).forEach(walk) : leaves.push(v);
        walk(previewSecrets(uses));
        assert.ok(leaves.every((leaf) => leaf === "[[SENSITIVE]]"));
        const rendered = renderMessage(
          { subject: null, body: template },
          { secrets: previewSecrets(uses) as TemplateSecrets, event },
        );
        assert.match(rendered.body, /\[\[SENSITIVE\]\]/);
      }),
      { numRuns: 300 },
    );
  });

  it("a rendered subject with a line break fails the run instead of adding a header", () => {
    assert.throws(
      () =>
        renderMessage(
          { subject: "Hi {{event.data.x}}", body: "" },
          { secrets: {}, event: { ...event, data: { x: "a\r\nBcc: x" } } },
        ),
      /header_injection|line break/,
    );
  });
});

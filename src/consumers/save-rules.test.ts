/**
 * What is refused when a consumer or a secret is saved, through a real server on SQLite and PostgreSQL:
 * integration URLs that can never be sent (X2), editors handing restricted secrets to code (S11's
 * `editorsComputeWithRestricted`), alias-policy names that differ only in case (S1), and a secret's
 * allowed hosts (S12).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type RuntimeFixture, runtimeFixture } from "../runtime/runner/testing/fixture.js";
import { testDatabases } from "../store/testing.js";
import { startTestServer, type TestServer } from "../testing/server.js";

const hook = (url: string, over: Record<string, unknown> = {}) => ({
  name: "Hook",
  secrets: [],
  request: { method: "POST", url },
  ...over,
});

const reverse = (name: string) =>
  `export default function process({ secrets }) { return secrets.${name}.split('').reverse().join(''); }`;

for (const database of testDatabases()) {
  describe(`save-time rules on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;
    let editor: string;
    let admin: string;

    before(async () => {
      server = await startTestServer(database, { CLOAKROOM_ALLOW_PRIVATE_TARGETS: "false" });
      f = await runtimeFixture(server);
      editor = await f.tokenFor("editor");
      admin = await f.tokenFor("admin");
      await f.secret("STRIPE_KEY", "token", "s3cr3t-sk_live_restricted");
      const masked = await f.call("POST", `/v1/orgs/${f.org}/secrets`, f.owner, {
        name: "MASKED_KEY",
        type: "token",
        value: "s3cr3t-masked-value",
        visibility: "masked",
      });
      assert.equal(masked.status, 201, masked.text);
    });
    after(async () => {
      await server.close();
      for (const text of f.seen) assert.ok(!text.includes("s3cr3t-"), `an answer leaked a value: ${text}`);
    });

    const audit = async () => {
      const res = await f.call("GET", `/v1/orgs/${f.org}/audit?limit=100`);
      assert.equal(res.status, 200, res.text);
      return res.body.entries as {
        action: string;
        outcome: string;
        target: { name: string | null } | null;
        details: Record<string, unknown>;
      }[];
    };

    it("an integration URL that is not an http or https URL is refused at save, naming request.url", async () => {
      for (const url of [
        "not a url",
        "ftp://files.example.com/x",
        "javascript:alert(1)",
        "ftp://{{{HOST}}}/",
      ]) {
        const res = await f.call("POST", f.p("/integrations"), f.owner, hook(url));
        assert.equal(res.status, 400, `${url}: ${res.text}`);
        assert.equal(res.body.error.code, "invalid_request");
        assert.deepEqual(
          res.body.error.details.fields.map((p: { field: string }) => p.field),
          ["body.request.url"],
          url,
        );
      }
    });

    it("a literal private, loopback or link-local target is refused at save; a templated host is left to run time", async () => {
      for (const url of [
        "http://127.0.0.1/",
        "http://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/x",
        "http://0x7f.0.0.1/",
        "http://localhost:3000/{{event.id}}",
        "http://192.168.1.5/{{{PATH}}}",
      ]) {
        const res = await f.call("POST", f.p("/integrations"), f.owner, hook(url));
        assert.equal(res.status, 400, `${url}: ${res.text}`);
        assert.equal(res.body.error.details.fields[0].field, "body.request.url", url);
      }
      for (const url of [
        "https://hooks.example.com/{{event.id}}",
        "https://{{event.data.host}}/x",
        "http://10.0.0.1{{event.data.rest}}",
        "{{event.data.url}}",
      ]) {
        const res = await f.call("POST", f.p("/integrations"), f.owner, hook(url));
        assert.equal(res.status, 201, `${url}: ${res.text}`);
      }
      // The same check on replace.
      const ok = await f.integration(hook("https://hooks.example.com/"));
      const put = await f.call("PUT", f.p(`/integrations/${ok.id}`), f.owner, hook("http://10.1.2.3/"));
      assert.equal(put.status, 400, put.text);
    });

    it("an editor may not save a logic function that declares a restricted secret; the refusal names it and is audited", async () => {
      const res = await f.call("POST", f.p("/logic"), editor, {
        name: "Exfiltrate",
        secrets: ["STRIPE_KEY"],
        code: reverse("STRIPE_KEY"),
      });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.body.error.code, "forbidden");
      assert.match(res.body.error.message, /STRIPE_KEY/);
      const denied = (await audit()).find((e) => e.action === "consumer.create" && e.outcome === "denied");
      assert.equal(denied?.target?.name, "STRIPE_KEY");
      // A masked secret, an integration inserting the restricted value as is, and owners and admins are fine.
      const masked = await f.call("POST", f.p("/logic"), editor, {
        name: "Masked",
        secrets: ["MASKED_KEY"],
        code: reverse("MASKED_KEY"),
      });
      assert.equal(masked.status, 201, masked.text);
      const integration = await f.call(
        "POST",
        f.p("/integrations"),
        editor,
        hook("https://api.stripe.com/v1/charges", {
          secrets: ["STRIPE_KEY"],
          request: {
            method: "POST",
            url: "https://api.stripe.com/v1/charges",
            headers: { Authorization: "Bearer {{{STRIPE_KEY}}}" },
          },
        }),
      );
      assert.equal(integration.status, 201, integration.text);
      const byAdmin = await f.call("POST", f.p("/logic"), admin, {
        name: "Admin's",
        secrets: ["STRIPE_KEY"],
        code: reverse("STRIPE_KEY"),
      });
      assert.equal(byAdmin.status, 201, byAdmin.text);
    });

    it("an editor may rename an admin's logic function that computes with a restricted secret, never change its code", async () => {
      const code = "export default function process({ secrets }) { return secrets.STRIPE_KEY.length; }";
      const fn = await f.logic({ name: "Length", secrets: ["STRIPE_KEY"], code });
      const renamed = await f.call("PUT", f.p(`/logic/${fn.id}`), editor, {
        name: "Length of key",
        secrets: ["STRIPE_KEY"],
        code,
      });
      assert.equal(renamed.status, 200, renamed.text);
      const changed = await f.call("PUT", f.p(`/logic/${fn.id}`), editor, {
        name: "Length of key",
        secrets: ["STRIPE_KEY"],
        code: reverse("STRIPE_KEY"),
      });
      assert.equal(changed.status, 403, changed.text);
      assert.equal((await f.call("GET", f.p(`/logic/${fn.id}`))).body.code, code);
      // Dropping the restricted secret takes the value away from the code: then the code is the editor's.
      const dropped = await f.call("PUT", f.p(`/logic/${fn.id}`), editor, {
        name: "No key",
        secrets: [],
        code: "export default function process() { return 1; }",
      });
      assert.equal(dropped.status, 200, dropped.text);
      // ...and declaring it again in unchanged code is adding a restricted secret: refused.
      const readd = await f.call("PUT", f.p(`/logic/${fn.id}`), editor, {
        name: "No key",
        secrets: ["STRIPE_KEY"],
        code: "export default function process() { return 1; }",
      });
      assert.equal(readd.status, 403, readd.text);
    });

    it("editorsComputeWithRestricted is read and changed through settings, audited, and lets editors compute", async () => {
      const before = await f.call("GET", `/v1/orgs/${f.org}/settings`, editor);
      assert.equal(before.body.editorsComputeWithRestricted, false);
      const on = await f.call("PATCH", `/v1/orgs/${f.org}/settings`, f.owner, {
        editorsComputeWithRestricted: true,
      });
      assert.equal(on.status, 200, on.text);
      assert.equal(on.body.editorsComputeWithRestricted, true);
      assert.ok(
        (await audit()).some(
          (e) =>
            e.action === "org.settings.update" &&
            JSON.stringify(e.details).includes("editorsComputeWithRestricted"),
        ),
      );
      const res = await f.call("POST", f.p("/logic"), editor, {
        name: "Allowed now",
        secrets: ["STRIPE_KEY"],
        code: reverse("STRIPE_KEY"),
      });
      assert.equal(res.status, 201, res.text);
      await f.call("PATCH", `/v1/orgs/${f.org}/settings`, f.owner, { editorsComputeWithRestricted: false });
      assert.equal(
        (await f.call("PATCH", `/v1/orgs/${f.org}/settings`, editor, { editorsComputeWithRestricted: true }))
          .status,
        403,
      );
    });

    it("allowedHosts are set by owners and admins at creation or later, validated, shown and audited", async () => {
      const base = `/v1/orgs/${f.org}/secrets`;
      const created = await f.call("POST", base, f.owner, {
        name: "ZENDESK_TOKEN",
        type: "token",
        value: "s3cr3t-zendesk",
        allowedHosts: ["API.stripe.com", "*.zendesk.com"],
      });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.allowedHosts, ["api.stripe.com", "*.zendesk.com"]);
      assert.deepEqual((await f.call("GET", `${base}/STRIPE_KEY`)).body.allowedHosts, []);

      for (const bad of [
        ["exa mple.com"],
        ["api.*.com"],
        ["*"],
        ["https://api.stripe.com"],
        ["-x.com"],
        [""],
      ]) {
        const res = await f.call("PATCH", `${base}/ZENDESK_TOKEN`, f.owner, { allowedHosts: bad });
        assert.equal(res.status, 400, `${bad}: ${res.text}`);
        assert.equal(res.body.error.code, "invalid_request");
      }
      const patched = await f.call("PATCH", `${base}/ZENDESK_TOKEN`, admin, {
        allowedHosts: ["api.zendesk.com"],
      });
      assert.equal(patched.status, 200, patched.text);
      assert.deepEqual(patched.body.allowedHosts, ["api.zendesk.com"]);
      const bind = (await audit()).find((e) => e.action === "secret.bind");
      assert.deepEqual(bind?.details.allowedHosts, {
        from: ["api.stripe.com", "*.zendesk.com"],
        to: ["api.zendesk.com"],
      });

      // Editors, even those who manage secrets, never bind them.
      await f.call("PATCH", `/v1/orgs/${f.org}/settings`, f.owner, { editorsManageSecrets: true });
      const byEditor = await f.call("PATCH", `${base}/ZENDESK_TOKEN`, editor, { allowedHosts: [] });
      assert.equal(byEditor.status, 403, byEditor.text);
      const createByEditor = await f.call("POST", base, editor, {
        name: "EDITOR_BOUND",
        type: "token",
        value: "s3cr3t-editor-bound",
        allowedHosts: ["x.example.com"],
      });
      assert.equal(createByEditor.status, 403, createByEditor.text);
      const describe = await f.call("PATCH", `${base}/ZENDESK_TOKEN`, editor, { description: "tickets" });
      assert.equal(describe.status, 200, describe.text);
      assert.deepEqual(describe.body.allowedHosts, ["api.zendesk.com"]);
      await f.call("PATCH", `/v1/orgs/${f.org}/settings`, f.owner, { editorsManageSecrets: false });
    });

    it("under the alias policy, declarations, templates and code match secret names ignoring case", async () => {
      const settings = await f.call("PATCH", `/v1/orgs/${f.org}/settings`, f.owner, {
        namingPolicy: "alias",
      });
      assert.equal(settings.status, 200, settings.text);
      await f.secret("weather_fx", "token", "s3cr3t-weather-fx");
      const integration = await f.call(
        "POST",
        f.p("/integrations"),
        f.owner,
        hook("https://weather.example.com/", {
          secrets: ["Weather_FX"],
          request: {
            method: "GET",
            url: "https://weather.example.com/",
            headers: { "X-Key": "{{{WEATHER_FX}}}", "X-Again": "{{{secrets.weather_FX}}}" },
          },
        }),
      );
      assert.equal(integration.status, 201, integration.text);
      const fn = await f.call("POST", f.p("/logic"), f.owner, {
        name: "Weather",
        secrets: ["weather_fx"],
        code: "export default function process({ secrets }) { return secrets.WEATHER_FX.length; }",
      });
      assert.equal(fn.status, 201, fn.text);
      const meta = await f.call("GET", `/v1/orgs/${f.org}/secrets/WEATHER_FX`);
      assert.equal(meta.body.usageCount, 2);
      assert.deepEqual(
        meta.body.usedBy.map((c: { name: string }) => c.name),
        ["Hook", "Weather"],
      );
      const del = await f.call("DELETE", `/v1/orgs/${f.org}/secrets/Weather_Fx`);
      assert.equal(del.status, 409, del.text);
      assert.equal(del.body.error.code, "secret_in_use");
      // Under upper_snake, a case difference is still a typo.
      await f.call("PATCH", `/v1/orgs/${f.org}/settings`, f.owner, { namingPolicy: "upper_snake" });
      const typo = await f.call(
        "POST",
        f.p("/integrations"),
        f.owner,
        hook("https://x.example.com/", {
          secrets: ["STRIPE_KEY"],
          request: { method: "GET", url: "https://x.example.com/", headers: { "X-Key": "{{{stripe_key}}}" } },
        }),
      );
      assert.equal(typo.status, 400, typo.text);
    });
  });
}

/** The pure rules of installations: the one expression a secret field takes, names, paths (SPEC X8). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { RunError } from "../errors.js";
import { catalog, findApp } from "./catalog/index.js";
import { checkConfig, checkInput } from "./fns.js";
import { buildRequest } from "./request.js";
import { INSTALLATION_NAME } from "./schema.js";
import { partProblem, secretRef, valueAt } from "./secret-refs.js";
import { path } from "./types.js";

const secretName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,40}$/);
const space = fc.constantFrom("", " ", "  ", "\t");

const secretRefName = (expr: string) => {
  const ref = secretRef(expr);
  return ref && ref.path.length === 0 ? ref.name : null;
};

describe("a secret field's expression", () => {
  it("names the secret in every written form of secrets.NAME", () => {
    fc.assert(
      fc.property(secretName, space, space, space, fc.constantFrom('"', "'"), (name, a, b, c, q) => {
        assert.equal(secretRefName(`${a}secrets${b}.${c}${name}${a}`), name);
        assert.equal(secretRefName(`${a}secrets${b}[${c}${q}${name}${q}${c}]${a}`), name);
      }),
    );
  });

  it("names a part of a typed secret in every written form of secrets.NAME.part", () => {
    fc.assert(
      fc.property(secretName, space, fc.constantFrom('"', "'"), (name, a, q) => {
        const want = { name, path: ["password"] };
        assert.deepEqual(secretRef(`secrets.${name}${a}.${a}password`), want);
        assert.deepEqual(secretRef(`secrets[${q}${name}${q}]${a}[${a}${q}password${q}${a}]`), want);
      }),
    );
    assert.deepEqual(secretRef('secrets.CFG.eu["api-key"]'), { name: "CFG", path: ["eu", "api-key"] });
  });

  it("a part must fit the secret's type: a token whole, .username or .password, a path into JSON", () => {
    const ref = (expr: string) => secretRef(expr) ?? assert.fail(expr);
    assert.equal(partProblem(ref("secrets.T"), "token"), null);
    assert.match(partProblem(ref("secrets.T.x"), "token") ?? "", /T is a token/);
    assert.equal(partProblem(ref("secrets.C.username"), "username_password"), null);
    assert.equal(partProblem(ref("secrets.C.password"), "username_password"), null);
    assert.match(partProblem(ref("secrets.C"), "username_password") ?? "", /C\.username or \.password/);
    assert.match(partProblem(ref("secrets.C.pin"), "username_password") ?? "", /C\.username or \.password/);
    assert.equal(partProblem(ref("secrets.J.a.b"), "json"), null);
    assert.match(partProblem(ref("secrets.J"), "json") ?? "", /J is a JSON secret/);
  });

  it("a part's value is a string leaf, never an inherited property or an object", () => {
    const value = { a: { b: "leaf", n: 7 }, list: ["x"] };
    assert.equal(valueAt(value, ["a", "b"]), "leaf");
    assert.equal(valueAt(value, ["a"]), undefined);
    assert.equal(valueAt(value, ["a", "n"]), undefined);
    assert.equal(valueAt(value, ["list", "0"]), undefined);
    assert.equal(valueAt(value, ["constructor"]), undefined);
    assert.equal(valueAt("token", []), "token");
    assert.equal(valueAt("token", ["length"]), undefined);
  });

  it("names nothing when the expression is anything more than one secret", () => {
    fc.assert(
      fc.property(
        secretName,
        fc.constantFrom(" + 'x'", ".length()", "()", ".trim()", " || ''", ";1", "[0]", ".a.", "?.a"),
        (name, more) => {
          assert.equal(secretRefName(`secrets.${name}${more}`), null);
        },
      ),
    );
    for (const expr of [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an expression, as a user writes it
      "`${secrets.A}`",
      "secrets",
      "secret.A",
      "secrets[A]",
      'secrets["A" + "B"]',
      "secrets.A.B()",
      "secrets.A[B]",
      "secrets.A.a.b.c.d.e.f.g.h.i",
      "'secrets.A'",
      "x.secrets.A",
      "secrets.$A",
    ]) {
      assert.equal(secretRefName(expr), null, expr);
    }
  });
});

describe("installation names", () => {
  it("are lowercase slugs of at most 63 characters starting with a letter", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9_-]{0,62}$/), (name) =>
        assert.ok(INSTALLATION_NAME.test(name)),
      ),
    );
    fc.assert(
      fc.property(fc.string(), (name) => {
        const ok = /^[a-z][a-z0-9_-]*$/.test(name) && name.length <= 63;
        assert.equal(INSTALLATION_NAME.test(name), ok);
      }),
    );
  });
});

describe("an app's configuration", () => {
  const slack = findApp("slack")!;

  it("takes literals in plain fields and secrets.NAME in secret fields, and lists the names used", () => {
    const ok = checkConfig(
      findApp("zendesk")!,
      {
        baseUrl: null,
        config: { subdomain: "acme", email: "a@b.test", api_token: { expr: "secrets.ZD" } },
      },
      { allowPrivate: false },
    );
    assert.deepEqual(ok, {
      problems: [],
      secretMisuse: false,
      used: [{ field: "api_token", name: "ZD", path: [] }],
    });
  });

  it("takes a secret's part in a plain field, but never in a URL field", () => {
    const basic = findApp("http_basic")!;
    const creds = {
      username: { expr: "secrets.CREDS.username" },
      password: { expr: "secrets.CREDS.password" },
    };
    const ok = checkConfig(
      basic,
      { baseUrl: null, config: { base_url: "https://api.test", ...creds } },
      { allowPrivate: false },
    );
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(
      ok.used.map((u) => [u.field, u.name, u.path.join(".")]),
      [
        ["username", "CREDS", "username"],
        ["password", "CREDS", "password"],
      ],
    );
    const url = checkConfig(
      basic,
      { baseUrl: null, config: { base_url: { expr: "secrets.URL" }, ...creds } },
      { allowPrivate: false },
    );
    assert.deepEqual(
      url.problems.map((p) => p.field),
      ["body.config.base_url"],
    );
  });

  it("refuses a literal in a secret field, and says so", () => {
    const c = checkConfig(
      slack,
      { baseUrl: null, config: { bot_token: "xoxb-literal" } },
      { allowPrivate: true },
    );
    assert.equal(c.secretMisuse, true);
    assert.deepEqual(c.problems, [
      { field: "body.config.bot_token", message: "a secret field takes secrets.NAME" },
    ]);
  });

  it("every app of the catalog describes a request for any input its checks accept", () => {
    for (const app of catalog) {
      for (const action of app.actions) {
        const input = Object.fromEntries(
          action.input.map((f) => [f.key, f.oneOf?.[0] ?? (f.key === "path" ? "/p" : "v")]),
        );
        assert.deepEqual(checkInput(action, input), [], `${app.id}.${action.id}`);
        const config = Object.fromEntries(
          app.fields.map((f) => [f.key, f.key === "base_url" ? "https://x.test" : "v"]),
        );
        const built = buildRequest("https://api.example.test", action.request({ config, input }));
        assert.ok(built.url.startsWith("https://api.example.test/"), built.url);
      }
    }
  });
});

describe("an action's request", () => {
  it("stays under the base URL's origin whatever path an input gives", () => {
    fc.assert(
      fc.property(fc.string(), (p) => {
        try {
          const r = buildRequest("https://api.example.test/v1", { method: "GET", path: `/${p}` });
          assert.equal(new URL(r.url).origin, "https://api.example.test");
        } catch (error) {
          assert.ok(error instanceof RunError);
        }
      }),
    );
  });

  it("encodes configuration values in paths as single segments", () => {
    assert.equal(path`/Accounts/${"../x?y#z"}/M.json`, "/Accounts/..%2Fx%3Fy%23z/M.json");
  });

  it("refuses a header value with a line break", () => {
    assert.throws(
      () => buildRequest("https://a.test", { method: "POST", path: "/", auth: { bearer: "a\r\nX-Evil: 1" } }),
      (e: unknown) => e instanceof RunError && e.code === "header_injection" && !e.message.includes("Evil"),
    );
  });
});

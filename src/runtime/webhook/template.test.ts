import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import Mustache from "mustache";
import { RenderError } from "./errors.js";
import {
  type RenderedRequest,
  referencedSecretNames,
  renderWebhookRequest,
  type TemplateEvent,
  type TemplateSecrets,
  templateCacheSize,
  validateTemplates,
  type WebhookRequestTemplate,
} from "./template.js";

const API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
const secrets: TemplateSecrets = {
  API_KEY,
  CREDS: { username: "svc-user", password: "p@ss:w/rd é" },
  CFG: { region: "eu-west-1", some: { key: "nested-value" }, list: [1, 2] },
};
const event: TemplateEvent = {
  id: "evt_123",
  name: "device/temperature",
  data: { celsius: 21.5, label: "hall", tags: ["a", "b"] },
  publishedAt: "2025-01-02T03:04:05.000Z",
};

function template(overrides: Partial<WebhookRequestTemplate> = {}): WebhookRequestTemplate {
  return {
    method: "POST",
    url: "https://hooks.example.com/in",
    headers: {},
    query: {},
    body: null,
    basicAuth: null,
    ...overrides,
  };
}

function render(
  overrides: Partial<WebhookRequestTemplate>,
  view: { secrets?: TemplateSecrets; event?: TemplateEvent } = {},
): RenderedRequest {
  return renderWebhookRequest(template(overrides), {
    secrets: view.secrets ?? secrets,
    event: view.event ?? event,
  });
}

const bodyOf = (overrides: Partial<WebhookRequestTemplate>, view?: { secrets?: TemplateSecrets }) =>
  render({ body: "", ...overrides }, view).body;

function renderError(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RenderError, `expected RenderError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a RenderError");
}

describe("inserting secrets and event fields", () => {
  it("a secret is inserted by {{{NAME}}} and by {{{secrets.NAME}}}", () => {
    const out = render({ headers: { A: "Bearer {{{API_KEY}}}", B: "{{{secrets.API_KEY}}}" } });
    assert.equal(out.headers.A, `Bearer ${API_KEY}`);
    assert.equal(out.headers.B, API_KEY);
  });

  it("typed parts of username_password and json secrets are reachable by dotted names", () => {
    const out = render({
      headers: {
        U: "{{{CREDS.username}}}",
        P: "{{{secrets.CREDS.password}}}",
        K: "{{{CFG.some.key}}}",
        R: "{{{CFG.region}}}",
      },
    });
    assert.deepEqual(
      [out.headers.U, out.headers.P, out.headers.K, out.headers.R],
      ["svc-user", "p@ss:w/rd é", "nested-value", "eu-west-1"],
    );
  });

  it("an object value inserted whole becomes JSON text", () => {
    const body = bodyOf({ body: '{"cfg": {{{CFG}}}, "data": {{{event.data}}}}' });
    assert.deepEqual(JSON.parse(body ?? ""), {
      cfg: { region: "eu-west-1", some: { key: "nested-value" }, list: [1, 2] },
      data: { celsius: 21.5, label: "hall", tags: ["a", "b"] },
    });
  });

  it("event fields render: id, name, publishedAt, data and a field of data", () => {
    const out = render({
      headers: {
        I: "{{{event.id}}}",
        N: "{{{event.name}}}",
        T: "{{{event.publishedAt}}}",
        F: "{{{event.data.celsius}}}",
        D: "{{{event.data}}}",
      },
    });
    assert.equal(out.headers.I, "evt_123");
    assert.equal(out.headers.N, "device/temperature");
    assert.equal(out.headers.T, "2025-01-02T03:04:05.000Z");
    assert.equal(out.headers.F, "21.5");
    assert.equal(out.headers.D, JSON.stringify(event.data));
  });

  it("sections iterate event arrays and expose an object's fields", () => {
    const out = render({
      headers: {
        L: "{{#event.data.tags}}[{{.}}]{{/event.data.tags}}",
        C: "{{#CREDS}}{{username}}{{/CREDS}}",
        M: "{{^MISSING}}none{{/MISSING}}",
      },
    });
    assert.deepEqual([out.headers.L, out.headers.C, out.headers.M], ["[a][b]", "svc-user", "none"]);
  });

  it("a name that is not in the view renders nothing", () => {
    assert.equal(render({ headers: { X: "<{{{NOT_DECLARED}}}{{event.nope}}>" } }).headers.X, "<>");
  });
});

describe("escaping per field", () => {
  const nasty = `a b/c?d=e&f#g%h+i"j\\k<l>'m\n`;
  const view = { secrets: { V: nasty } };

  it("{{x}} percent-encodes in the URL and {{{x}}} inserts as is", () => {
    const escaped = render({ url: "https://h.example/p/{{V}}" }, view).url;
    assert.equal(escaped, `https://h.example/p/${encodeURIComponent(nasty)}`);
    const raw = render({ url: "https://h.example/{{{V}}}" }, { secrets: { V: "a/b?c=d" } }).url;
    assert.equal(raw, "https://h.example/a/b?c=d");
  });

  it("a value in the URL's own query round-trips through URL parsing", () => {
    const url = new URL(render({ url: "https://h.example/?q={{V}}&r=1" }, view).url);
    assert.equal(url.searchParams.get("q"), nasty);
    assert.equal(url.searchParams.get("r"), "1");
  });

  it("query parameters are appended encoded, after the URL's own query kept as written", () => {
    const out = render(
      { url: "https://h.example/x?sig=a%2Fb&t=1", query: { q: "{{V}}", raw: "{{{V}}}" } },
      view,
    );
    assert.ok(out.url.startsWith("https://h.example/x?sig=a%2Fb&t=1&q="), out.url);
    const url = new URL(out.url);
    assert.equal(url.searchParams.get("q"), nasty);
    assert.equal(url.searchParams.get("raw"), nasty);
    assert.equal(url.searchParams.get("sig"), "a/b");
  });

  it("{{x}} is JSON-string-escaped in a JSON body, {{{x}}} is not", () => {
    const body = bodyOf({ body: '{"a": "{{V}}"}' }, view);
    assert.deepEqual(JSON.parse(body ?? ""), { a: nasty });
    const raw = bodyOf({ body: '{"a": {{{V}}}}' }, { secrets: { V: '{"nested":true}' } });
    assert.deepEqual(JSON.parse(raw ?? ""), { a: { nested: true } });
  });

  it("a JSON array body escapes too, and a number inserts as a number", () => {
    const body = bodyOf({ body: '  [{{event.data.celsius}}, "{{V}}"]' }, { secrets: { V: 'say "hi"' } });
    assert.deepEqual(JSON.parse(body ?? ""), [21.5, 'say "hi"']);
  });

  it("a plain body and headers render {{x}} as is, with no HTML escaping anywhere", () => {
    const out = render({ body: "v={{V}}", headers: { X: "{{W}}" } }, { secrets: { V: nasty, W: `<&"'>` } });
    assert.equal(out.body, `v=${nasty}`);
    assert.equal(out.headers.X, `<&"'>`);
  });

  it("a body that only starts with a tag is not taken for JSON", () => {
    assert.equal(bodyOf({ body: '{{V}}"' }, { secrets: { V: 'x"y' } }), 'x"y"');
  });

  it("a JSON body gets Content-Type application/json unless the template sets one", () => {
    assert.equal(render({ body: "{}" }).headers["Content-Type"], "application/json");
    assert.equal(render({ body: "a=b" }).headers["Content-Type"], "text/plain; charset=utf-8");
    const own = render({ body: "{}", headers: { "content-type": "application/vnd.x+json" } }).headers;
    assert.deepEqual(own, { "content-type": "application/vnd.x+json" });
  });

  it("a lone surrogate in a URL value does not crash the render", () => {
    const url = render({ url: "https://h.example/{{V}}" }, { secrets: { V: "a\uD800b" } }).url;
    assert.equal(url, "https://h.example/a%EF%BF%BDb");
  });

  it("rendering leaves Mustache's global escape and global parse cache alone", () => {
    const globalEscape = Mustache.escape;
    const cacheBefore = JSON.stringify(Mustache.templateCache);
    render({ headers: { X: "{{API_KEY}} {{V}}-global-check" } });
    assert.equal(Mustache.escape, globalEscape);
    assert.equal(JSON.stringify(Mustache.templateCache), cacheBefore);
  });
});

describe("prototype properties are out of reach", () => {
  const probes = [
    "{{constructor}}",
    "{{{constructor}}}",
    "{{__proto__}}",
    "{{toString}}",
    "{{hasOwnProperty}}",
    "{{valueOf}}",
    "{{secrets.constructor.name}}",
    "{{event.constructor.name}}",
    "{{event.data.tags.constructor.name}}",
    "{{event.data.tags.map}}",
    "{{API_KEY.length}}",
    "{{API_KEY.constructor.name}}",
    "{{#API_KEY}}{{constructor.name}}{{/API_KEY}}",
    "{{#event.data.tags}}{{constructor.name}}{{/event.data.tags}}",
    "{{#constructor}}x{{/constructor}}",
    "{{#API_KEY.constructor.constructor}}x{{/API_KEY.constructor.constructor}}",
  ];
  for (const probe of probes) {
    it(`${probe} renders nothing`, () => {
      assert.equal(render({ headers: { X: `<${probe}>` } }).headers.X, "<>");
    });
  }

  it("a name looked up after {{hasOwnProperty}} still resolves", () => {
    assert.equal(render({ headers: { X: "{{hasOwnProperty}}{{API_KEY}}" } }).headers.X, API_KEY);
  });

  it("a secret or data key named __proto__ is plain data", () => {
    const data = JSON.parse('{"__proto__": {"polluted": "yes"}}') as unknown;
    const out = render(
      { headers: { A: "{{{event.data.__proto__.polluted}}}", B: "{{{event.data.polluted}}}" } },
      { event: { ...event, data } },
    );
    assert.deepEqual([out.headers.A, out.headers.B], ["yes", ""]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("a header named __proto__ stays an own header", () => {
    const headers = JSON.parse('{"__proto__": "v"}') as Record<string, string>;
    const out = render({ headers }).headers;
    assert.ok(Object.hasOwn(out, "__proto__"));
    assert.equal(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, "v");
  });
});

describe("headers, auth and method", () => {
  it("a rendered header value with CR or LF fails with header_injection naming the header, not the value", () => {
    for (const bad of ["ok\r\nX-Evil: 1", "ok\nX-Evil: 1", "ok\rX", "ok\0x"]) {
      const err = renderError(() =>
        render({ headers: { "X-Api-Key": "{{{V}}}" } }, { secrets: { V: `${API_KEY}${bad}` } }),
      );
      assert.equal(err.code, "header_injection");
      assert.match(err.message, /request\.headers\.X-Api-Key/);
      assert.ok(!err.message.includes(API_KEY) && !err.message.includes("X-Evil"));
    }
  });

  it("a header value with characters HTTP cannot carry fails with template_error", () => {
    const err = renderError(() => render({ headers: { X: "{{{V}}}" } }, { secrets: { V: "euro €" } }));
    assert.equal(err.code, "template_error");
    assert.ok(!err.message.includes("euro"));
  });

  it("header names that HTTP or the client would reject are refused before rendering", () => {
    assert.equal(renderError(() => render({ headers: { "Bad Name": "x" } })).code, "template_error");
    assert.equal(renderError(() => render({ headers: { "X\r\nY": "x" } })).code, "header_injection");
    assert.equal(renderError(() => render({ headers: { "Content-Length": "1" } })).code, "template_error");
    assert.equal(renderError(() => render({ headers: { "X-A": "1", "x-a": "2" } })).code, "template_error");
  });

  it("basic auth becomes an Authorization: Basic header of username:password rendered as is", () => {
    const out = render({
      basicAuth: { username: "{{CREDS.username}}", password: "{{CREDS.password}}" },
      headers: { authorization: "Bearer replaced" },
    });
    const expected = Buffer.from("svc-user:p@ss:w/rd é", "utf8").toString("base64");
    assert.deepEqual(out.headers, { Authorization: `Basic ${expected}` });
  });

  it("credentials in the URL become basic auth and leave the URL", () => {
    const out = render({ url: "https://{{CREDS.username}}:{{CREDS.password}}@h.example/x#frag" });
    assert.equal(out.url, "https://h.example/x");
    const decoded = Buffer.from((out.headers.Authorization ?? "").slice(6), "base64").toString("utf8");
    assert.equal(decoded, "svc-user:p@ss:w/rd é");
  });

  it("the method renders, is case-insensitive, and must be one of the allowed ones", () => {
    assert.equal(render({ method: "{{{M}}}" }, { secrets: { M: "patch" } }).method, "PATCH");
    for (const bad of ["TRACE", "CONNECT", "GET /x", ""]) {
      const err = renderError(() => render({ method: "{{{M}}}" }, { secrets: { M: bad } }));
      assert.equal(err.code, "template_error");
      assert.equal(err.field, "request.method");
    }
  });

  it("a URL that is not http(s) or does not parse is refused without quoting it", () => {
    for (const url of ["ftp://{{{API_KEY}}}.example/", "file:///etc/{{{API_KEY}}}", "{{{API_KEY}}}"]) {
      const err = renderError(() => render({ url }));
      assert.equal(err.code, "template_error");
      assert.equal(err.field, "request.url");
      assert.ok(!err.message.includes(API_KEY));
    }
  });

  it("a template that does not parse fails with template_error naming the field", () => {
    const err = renderError(() => render({ query: { page: "{{#a}}x" } }));
    assert.equal(err.code, "template_error");
    assert.equal(err.field, "request.query.page");
  });

  it("event data nested too deeply fails cleanly instead of overflowing the stack", () => {
    let data: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) data = [data];
    const err = renderError(() => render({}, { event: { ...event, data } }));
    assert.equal(err.field, "event.data");
  });
});

describe("render budget", () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const big = { ...event, data: { items, blob: "x".repeat(500_000) } };

  it("nested sections that would multiply into a billion steps stop early with template_error", () => {
    const section = (inner: string) => `{{#event.data.items}}${inner}{{/event.data.items}}`;
    const started = performance.now();
    const err = renderError(() => render({ body: section(section(section("x"))) }, { event: big }));
    assert.equal(err.code, "template_error");
    assert.equal(err.field, "request.body");
    assert.match(err.message, /steps/);
    assert.ok(performance.now() - started < 2000);
  });

  it("output that would grow past the character budget stops early", () => {
    const err = renderError(() =>
      render({ body: "{{#event.data.items}}{{{event.data.blob}}}{{/event.data.items}}" }, { event: big }),
    );
    assert.match(err.message, /^request\.body: renders more than \d+ characters$/);
  });

  it("a large but reasonable request renders", () => {
    const out = render(
      { body: '{"data": {{{event.data}}}}', headers: { X: "{{#event.data.items}}.{{/event.data.items}}" } },
      { event: big },
    );
    assert.equal(out.headers.X, ".".repeat(1000));
    assert.equal((JSON.parse(out.body ?? "") as { data: { blob: string } }).data.blob.length, 500_000);
  });
});

describe("referencedSecretNames", () => {
  it("collects plain, secrets., typed and section names from every field", () => {
    const names = referencedSecretNames(
      template({
        method: "{{{METHOD}}}",
        url: "https://h.example/{{A}}?k={{{secrets.B}}}",
        headers: { X: "{{{CREDS.username}}}", Y: "{{#S}}{{inner}}{{secrets.V}}{{/S}}" },
        query: { q: "{{^T}}{{U}}{{/T}}" },
        body: '{"e": "{{event.name}}", "d": {{{event.data}}}, "all": "{{{secrets}}}", "c": "{{{CFG.some.key}}}"}',
        basicAuth: { username: "{{{USER}}}", password: "{{{secrets.PASS.value}}}" },
      }),
    );
    assert.deepEqual(names, ["A", "B", "CFG", "CREDS", "METHOD", "PASS", "S", "T", "U", "USER", "V"]);
  });

  it("names inside a section are the section value's fields, not secrets", () => {
    const names = referencedSecretNames(template({ body: "{{#CREDS}}{{username}}:{{password}}{{/CREDS}}" }));
    assert.deepEqual(names, ["CREDS"]);
  });

  it("follows changed delimiters and ignores comments and fields that do not parse", () => {
    const names = referencedSecretNames(
      template({ headers: { A: "{{=<% %>=}}<%{ NEW }%>", B: "{{! NOT_A }}", C: "{{broken" } }),
    );
    assert.deepEqual(names, ["NEW"]);
  });
});

describe("validateTemplates", () => {
  it("reports each field that does not parse with its Mustache message", () => {
    const problems = validateTemplates(
      template({ headers: { "X-Api-Key": "Bearer {{{API_KEY}}" }, body: "{{#a}}open" }),
    );
    assert.deepEqual(
      problems.map((p) => p.field),
      ["request.headers.X-Api-Key", "request.body"],
    );
    assert.match(problems[0]?.message ?? "", /^Unclosed tag at \d+$/);
    assert.match(problems[1]?.message ?? "", /Unclosed section "a"/);
  });

  it("accepts a valid template set", () => {
    const ok = template({
      url: "https://h.example/{{event.data.id}}",
      headers: { Authorization: "Bearer {{{API_KEY}}}" },
      query: { q: "{{x}}" },
      body: '{"a": "{{b}}"}',
      basicAuth: { username: "{{{CREDS.username}}}", password: "{{{CREDS.password}}}" },
    });
    assert.deepEqual(validateTemplates(ok), []);
  });

  it("reports partials and bad header names", () => {
    const problems = validateTemplates(template({ body: "{{> other}}", headers: { "Bad Name": "x" } }));
    assert.deepEqual(
      problems.map((p) => p.field),
      ["request.body", "request.headers.Bad Name"],
    );
  });
});

describe("the parse cache", () => {
  it("stays bounded however many distinct templates are rendered", () => {
    for (let i = 0; i < 3000; i++) render({ headers: { X: `{{{API_KEY}}}-${i}` } });
    assert.ok(templateCacheSize() <= 512, `cache holds ${templateCacheSize()} entries`);
  });
});

describe("properties", () => {
  const text = fc.string({ unit: "grapheme", maxLength: 40 });
  const anyText = fc.string({ unit: "binary", maxLength: 40 });

  it("a JSON body {'a':'{{v}}'} parses as JSON with a === v, for any v", () => {
    fc.assert(
      fc.property(anyText, (v) => {
        const body = bodyOf({ body: '{"a":"{{v}}"}' }, { secrets: { v } });
        assert.equal((JSON.parse(body ?? "") as { a: string }).a, v);
      }),
    );
  });

  it("a query value rendered from {{v}} round-trips through URL parsing, for any v", () => {
    fc.assert(
      fc.property(text, (v) => {
        const fromTable = new URL(render({ query: { q: "{{v}}" } }, { secrets: { v } }).url);
        assert.equal(fromTable.searchParams.get("q"), v);
        const fromUrl = new URL(render({ url: "https://h.example/p?q={{v}}" }, { secrets: { v } }).url);
        assert.equal(fromUrl.searchParams.get("q"), v);
      }),
    );
  });

  // "." and ".." cannot be a path segment's value at all: WHATWG URL treats even %2E%2E as "..".
  const segment = text.filter((v) => v !== "." && v !== "..");

  it("a path segment rendered from {{v}} decodes back to v and adds no path segment, for any v", () => {
    fc.assert(
      fc.property(segment, (v) => {
        const url = new URL(render({ url: "https://h.example/a/{{v}}/b" }, { secrets: { v } }).url);
        const segments = url.pathname.split("/");
        assert.equal(segments.length, 4);
        assert.equal(decodeURIComponent(segments[2] ?? ""), v);
        assert.equal(url.host, "h.example");
      }),
    );
  });

  it("a rendered header either fails with header_injection or carries no line break, for any value", () => {
    fc.assert(
      fc.property(anyText, (v) => {
        try {
          const out = render({ headers: { X: "{{{v}}}" } }, { secrets: { v } });
          assert.ok(!/[\r\n\0]/.test(out.headers.X ?? ""));
        } catch (err) {
          assert.ok(err instanceof RenderError);
          if (/[\r\n\0]/.test(v)) assert.equal(err.code, "header_injection");
        }
      }),
    );
  });
});

/** Helpers of the console's browser journeys: value-leak checks, axe-core, screenshots, an HTTP sink. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const SCREENSHOTS = join(process.cwd(), "docs", "screenshots");

/** Runs axe-core on the page as it is; serious and critical violations fail the test. */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  // Evaluated over the DevTools protocol: the page's CSP (rightly) refuses inline script.
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  })()`)) as { id: string; impact: string; nodes: string[] }[];
  const bad = violations.filter((v: { impact: string }) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `accessibility violations on ${screen}`);
}

/**
 * What differs on every run (the sink's and the server's random ports, times, durations, ids), each with
 * the fixed sample it is pictured as: a screenshot changes only when the screen does.
 */
const UNSTABLE: [pattern: RegExp, sample: string][] = [
  [/127\.0\.0\.1:\d+/, "127.0.0.1:8080"],
  [/\d{4}-\d\d-\d\d \d\d:\d\d UTC/, "2026-01-15 09:30 UTC"],
  [/\b\d+ ms\b/, "12 ms"],
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, "01940000-0000-7000-8000-000000000000"],
];

/**
 * Saves docs/screenshots/NAME.png with the unstable values shown as their samples: in text and in form
 * fields (not in a CodeMirror editor, which would take the change as typing), and put back right after.
 * A React render between the change and the capture (a preview's answer arriving) puts a field's own
 * value back, so the capture is taken again until every sample was still in place after it.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    await withSamples(page, () => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) }));
    if (await page.evaluate("window.__shotHeld")) return;
    if (attempt === 5) throw new Error(`screenshot ${name}: the page kept replacing its sample values`);
    await page.waitForTimeout(100);
  }
}

/** Runs `capture` with the unstable values replaced; `window.__shotHeld` then says they stayed so. */
async function withSamples(page: Page, capture: () => Promise<unknown>): Promise<void> {
  await page.evaluate(`((rules) => {
    const fix = (text) => rules.reduce((t, [p, sample]) => t.replace(new RegExp(p, "g"), sample), text);
    const undo = [];
    const held = [];
    // React writes "{n} ms" as two text nodes: an element holding only text is fixed as one string.
    const groups = new Map();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (!parent || parent.closest("[contenteditable]")) continue;
      const key = [...parent.childNodes].every((c) => c.nodeType === Node.TEXT_NODE) ? parent : n;
      groups.set(key, [...(groups.get(key) ?? []), n]);
    }
    for (const nodes of groups.values()) {
      const before = nodes.map((n) => n.nodeValue);
      const after = fix(before.join(""));
      if (after === before.join("")) continue;
      nodes.forEach((n, i) => { n.nodeValue = i === 0 ? after : ""; });
      held.push(() => nodes[0].isConnected && nodes[0].nodeValue === after);
      undo.push(() => nodes.forEach((n, i) => { n.nodeValue = before[i]; }));
    }
    for (const el of document.querySelectorAll("input, textarea")) {
      const before = el.value;
      const after = fix(before);
      if (after === before) continue;
      el.value = after;
      held.push(() => el.isConnected && el.value === after);
      undo.push(() => { if (el.value === after) el.value = before; });
    }
    window.__restoreShot = () => {
      window.__shotHeld = held.every((f) => f());
      undo.forEach((f) => f());
    };
  })(${JSON.stringify(UNSTABLE.map(([re, sample]) => [re.source, sample]))})`);
  try {
    await capture();
  } finally {
    await page.evaluate("window.__restoreShot()");
  }
}

/** Everything a value could hide in: the DOM (with form fields' live values), storage, the URL, cookies. */
export async function assertNoValueInPage(page: Page, values: string[], where: string): Promise<void> {
  const seen = (await page.evaluate(`(() => {
    const fields = [...document.querySelectorAll("input, textarea, select")].map((el) => el.value);
    const storage = (s) => Object.keys(s).map((k) => k + "=" + s.getItem(k));
    return [
      document.documentElement.outerHTML,
      ...fields,
      ...storage(localStorage),
      ...storage(sessionStorage),
      location.href,
      document.cookie,
      history.state === null ? "" : JSON.stringify(history.state),
    ].join("\\n");
  })()`)) as string;
  for (const v of values) assert.ok(!seen.includes(v), `a value is still in the page (${where})`);
}

/** Collects every API answer the pages of a context receive, to search for values afterwards. */
export function recordApiAnswers(context: BrowserContext): {
  texts: { url: string; text: string }[];
  settle(): Promise<void>;
} {
  const pending: Promise<void>[] = [];
  const texts: { url: string; text: string }[] = [];
  context.on("response", (res) => {
    if (!new URL(res.url()).pathname.startsWith("/v1/")) return;
    pending.push(
      res
        .text()
        .then((text) => {
          texts.push({ url: res.url(), text });
        })
        .catch(() => undefined),
    );
  });
  return {
    texts,
    async settle() {
      await Promise.all(pending);
    },
  };
}

export async function assertNoValueInAnswers(
  answers: ReturnType<typeof recordApiAnswers>,
  values: string[],
): Promise<void> {
  await answers.settle();
  assert.ok(answers.texts.length > 0, "the journey made API requests");
  for (const { url, text } of answers.texts) {
    if (new URL(url).pathname.endsWith("/reveal")) continue;
    for (const v of values)
      assert.ok(!text.includes(v), `an API answer carried a value: ${new URL(url).pathname}`);
  }
}

/**
 * A local HTTP server that records what integrations send it. It answers `{"received":true}`, or what
 * `answer` makes of the request (an echo of a header, to put a secret's value in a response).
 */
export async function startSink(
  answer: (req: { url: string; headers: IncomingHttpHeaders; body: string }) => unknown = () => ({
    received: true,
  }),
): Promise<{
  url: string;
  requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}> {
  const requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answer({ url: req.url ?? "", headers: req.headers, body })));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Problems the browser reported: CSP refusals and uncaught errors. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

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

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
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

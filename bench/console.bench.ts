/**
 * The console's figures (decision note 0161): initial JavaScript gzipped (budget 200 KB), time until the
 * secrets list of an organization with 100,000 secrets is usable in Chromium (budget 1 s), and the list
 * API's latency at 100,000 secrets as a ratio to 100 secrets in the same run (budget 2x).
 *
 *   npm run bench -- console        (needs the built console, `npm run build`, and /usr/bin/chromium)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { findConsoleDir } from "../src/http/console.js";
import { launchBrowser } from "../src/testing/browser.js";
import { insertSecretRows } from "../src/testing/bulk-secrets.js";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer } from "../src/testing/server.js";

const LARGE = Number(process.env.BENCH_SECRETS ?? 100_000);
const SMALL = 100;
const ROUNDS = 40;
const PASSWORD = "correct horse battery staple";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function initialJsKb(): number {
  const dir = findConsoleDir();
  if (!dir) throw new Error("no built console: run npm run build");
  const html = readFileSync(join(dir, "index.html"), "utf8");
  const scripts = [
    ...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+)"/g),
  ].map((m) => m[1]!);
  let bytes = 0;
  for (const src of scripts) bytes += gzipSync(readFileSync(join(dir, src)), { level: 9 }).length;
  return bytes / 1024;
}

async function main() {
  console.log(`initial JavaScript (gzip -9): ${initialJsKb().toFixed(1)} KB (budget 200 KB)`);

  const server = await startTestServer(testDatabases()[0]!);
  try {
    const { token } = await server.setup({ org: "small", email: "owner@example.com", password: PASSWORD });
    await server.request("POST", "/v1/orgs", { token, body: { slug: "large", name: "Large" } });
    const names = (n: number) => Array.from({ length: n }, (_, i) => `SECRET_${String(i).padStart(6, "0")}`);
    await insertSecretRows(server.cloakroom.store, { orgSlug: "small", names: names(SMALL) });
    const t0 = performance.now();
    await insertSecretRows(server.cloakroom.store, { orgSlug: "large", names: names(LARGE) });
    console.log(`inserted ${LARGE} secrets in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const latency = async (path: string) => {
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const start = performance.now();
        const res = await server.request("GET", path, { token });
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        times.push(performance.now() - start);
      }
      return median(times);
    };
    for (const query of ["limit=100", "", "q=000123&limit=100"]) {
      const small = await latency(`/v1/orgs/small/secrets?${query}`);
      const large = await latency(`/v1/orgs/large/secrets?${query}`);
      console.log(
        `list ?${query || "(default limit 500)"}: ${SMALL} secrets ${small.toFixed(1)} ms, ${LARGE} secrets ` +
          `${large.toFixed(1)} ms, ratio ${(large / small).toFixed(2)}x (budget 2x)`,
      );
    }

    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/`);
      await page.getByLabel("Email").fill("owner@example.com");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Secrets" }).waitFor();
      const usable = async (org: string) => {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const start = performance.now();
          await page.goto(`${server.url}/orgs/${org}/secrets`);
          await page.getByRole("button", { name: "Actions for SECRET_000000" }).waitFor();
          times.push(performance.now() - start);
        }
        return median(times);
      };
      const small = await usable("small");
      const large = await usable("large");
      console.log(
        `secrets list usable in Chromium (load to first row's menu), median of 5: ${SMALL} secrets ${small.toFixed(0)} ms, ` +
          `${LARGE} secrets ${large.toFixed(0)} ms (budget 1000 ms), ratio ${(large / small).toFixed(2)}x`,
      );
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
}

await main();

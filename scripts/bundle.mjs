#!/usr/bin/env node
// Bundles the compiled server and CLI (dist/src) into dist/server with esbuild, so `cloakroom` starts by
// reading one file instead of resolving and compiling some 700 modules (decisions 0164 and 0275):
//   main.cjs   the command, one CommonJS file written inside its module function (decision 0385):
//              bin/code-cache.js compiles it through V8's code cache, which Node 20 offers for scripts but
//              not for ES modules. Code reached by a dynamic import (the app behind `serve`) is in the file
//              but runs only when first imported.
//   vendor/    undici, pg, prom-client and nodemailer, a CommonJS file each, required on first use.
//   main.cjs.v8cache  the code cache, written by one start of `serve` (SQLite in a temporary directory,
//              one GET /healthz, running until it has written its cache), so the first start after a
//              build, and an installation that cannot write beside the bundle, start as fast as later
//              ones. Without it everything works, only slower.
//   template.db  an empty database the migrations made, which a first start copies instead of migrating
//              a new file (src/store/template.ts, decision 0395).
//   worker.js  the sandbox's worker thread (an ES module: it awaits at top level), started from beside
//              main.cjs (sandbox/pool-threads.ts).
// Native and WebAssembly packages stay outside: they locate their binaries relative to their own files.
//   node scripts/bundle.mjs
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { build } from "esbuild";
import { WRAPPER_END, WRAPPER_START } from "../bin/code-cache.js";

// Packages that only code run on first use needs (a webhook delivery, PostgreSQL, the first scrape of
// /metrics, the first mail): each is a CommonJS file of its own in dist/server/vendor/, required when that
// code first runs, so main.cjs stays small: every start reads, hashes and compiles all of it (decisions
// 0275 and 0385).
const VENDOR = ["undici", "pg", "prom-client", "nodemailer"];
const vendorFiles = {
  name: "vendor-files",
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${VENDOR.join("|")})$`) }, (args) =>
      args.importer.includes("/dist/src/")
        ? { path: `./vendor/${args.path}.cjs`, external: true }
        : undefined,
    );
  },
};

// zod's namespace object `z` carries `z.locales`, every language's error messages (300 KB, an eighth of
// main.cjs); the server speaks English (zod's default, set by zod itself from locales/en.js), so the
// bundle's `z.locales` holds English alone (decision 0385).
const englishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
    }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
  external: [
    "better-sqlite3",
    "pg-native",
    "quickjs-emscripten",
    "quickjs-emscripten-core",
    "@jitl/*",
    // Fastify loads these only on use: its schema compilers (http/compilers.ts hands it lazy ones) and
    // inject's request faker. Left outside, the bundle does not carry them (decision 0275).
    "@fastify/ajv-compiler",
    "@fastify/fast-json-stringify-compiler",
    "light-my-request",
  ],
};

rmSync("dist/server", { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { main: "dist/src/cli/main.js" },
  outdir: "dist/server",
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  plugins: [vendorFiles, englishOnly],
  // import() of a vendor file becomes a require(): the bundle runs as a script, not a module.
  supported: { "dynamic-import": false },
  // The sources are ES modules, strict throughout, as the modules of an ESM bundle were. Where they ask
  // for their own URL they get this file's; import.meta.resolve serves only the sandbox's TypeScript
  // worker under tsx (tests), never the bundle.
  define: { "import.meta.url": "__bundleUrl", "import.meta.resolve": "__bundleResolve" },
  // Written as the function bin/code-cache.js compiles (its parameters are CommonJS's), so a start does
  // not copy the whole source to wrap it (decision 0385).
  banner: {
    js:
      WRAPPER_START +
      '"use strict";var __bundleUrl=require("node:url").pathToFileURL(__filename).href,' +
      '__bundleResolve=(s)=>{throw new Error("import.meta.resolve("+s+") in the bundle")};',
  },
  footer: { js: WRAPPER_END },
});
const resolve = createRequire(import.meta.url).resolve;
await build({
  ...common,
  entryPoints: Object.fromEntries(VENDOR.map((name) => [`vendor/${name}`, resolve(name)])),
  outdir: "dist/server",
  outExtension: { ".js": ".cjs" },
  format: "cjs",
});
await build({
  ...common,
  entryPoints: { worker: "dist/src/runtime/sandbox/worker.js" },
  outdir: "dist/server",
  format: "esm",
  // CommonJS packages inside the bundle still call require() for Node's built-ins and the externals.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
});

await writeTemplate();
await writeCodeCache();

/**
 * Migrates a new database in a temporary directory, installs the triggers a node installs at its start
 * (secrets/list-text.ts), and keeps the file (closing it folds the log in).
 */
async function writeTemplate() {
  const { openStore } = await import("../dist/src/store/db.js");
  const { installListText } = await import("../dist/src/secrets/list-text.js");
  const dataDir = mkdtempSync(join(tmpdir(), "cloakroom-template-"));
  try {
    const store = await openStore({ dataDir, template: null });
    await installListText(store);
    await store.close();
    copyFileSync(join(dataDir, "cloakroom.db"), "dist/server/template.db");
    // It holds no secret: readable by whichever user a service runs as.
    chmodSync("dist/server/template.db", 0o644);
  } catch (error) {
    rmSync("dist/server/template.db", { force: true });
    console.warn(`bundle: no database template written (${error.message}); a first start migrates instead`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function writeCodeCache() {
  const dataDir = mkdtempSync(join(tmpdir(), "cloakroom-code-cache-"));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("CLOAKROOM_") && k !== "DATABASE_URL"),
  );
  const child = spawn(
    process.execPath,
    ["bin/cloakroom.js", "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir],
    { env: { ...env, CLOAKROOM_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "ignore"] },
  );
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    let out = "";
    const url = await new Promise((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        out += chunk;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on("exit", () => reject(new Error("serve exited before listening")));
    });
    const health = await fetch(`${url}/healthz`);
    if (!health.ok) throw new Error(`/healthz answered ${health.status}`);
    // A server writes its cache two seconds after start (bin/code-cache.js); then it may go.
    const cache = "dist/server/main.cjs.v8cache";
    const tag = () => (existsSync(cache) ? readFileSync(cache).subarray(0, 200).toString("latin1") : "");
    for (let i = 0; i < 100 && !/\|serve\n/.test(tag()); i++) await delay(100);
    if (!/\|serve\n/.test(tag())) throw new Error("serve wrote no cache within 10 s");
    child.kill("SIGTERM");
    await exited;
  } catch (error) {
    console.warn(`bundle: no code cache written (${error.message}); the command starts without it`);
    child.kill("SIGKILL");
    await exited;
  } finally {
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

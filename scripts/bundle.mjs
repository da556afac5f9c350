#!/usr/bin/env node
// Bundles the compiled server and CLI (dist/src) into dist/server with esbuild, so `cloakroom` starts by
// reading a few files instead of resolving and compiling some 700 modules (decision 0164). Code that is
// loaded on demand (undici, nodemailer, pg, the app itself behind `serve`) lands in chunks of its own.
// Native and WebAssembly packages stay outside: they locate their binaries relative to their own files.
//   node scripts/bundle.mjs
import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist/server", { recursive: true, force: true });
await build({
  entryPoints: {
    main: "dist/src/cli/main.js",
    // The sandbox's worker thread is started from a file beside the pool's chunk (sandbox/pool-threads.ts).
    worker: "dist/src/runtime/sandbox/worker.js",
  },
  outdir: "dist/server",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
  external: ["better-sqlite3", "pg-native", "quickjs-emscripten", "quickjs-emscripten-core", "@jitl/*"],
  // CommonJS packages inside the bundle still call require() for Node's built-ins and the externals.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
});

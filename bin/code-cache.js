// Runs the bundled command (dist/server/main.cjs, one CommonJS file) through V8's code cache (decision
// 0275). Most of a cold start is V8 parsing and compiling the bundle; with the cache it reads back the
// bytecode of every function an earlier run compiled instead. Node 22's module.enableCompileCache() does
// this for ES modules too, Node 20 has nothing of the kind, and vm.Script's cachedData exists on both.
//
// The cache is written beside the bundle (the same trust as the code: never a shared temporary
// directory): by scripts/bundle.mjs, which starts `serve` once; else by `serve` two seconds after start
// (so it holds the server's start-up and first requests), and by other commands at exit when there is none
// yet. It is keyed by a SHA-256 of the bundle's bytes, Node's version and the architecture: V8 itself
// checks only the source's length, its own version and flags, and a size and mtime do not name the
// contents (npm pack gives every file the same mtime; cp -p and tar keep one). Hashing 2.5 MB is about
// 2 ms, and node:crypto is loaded by every command anyway. scripts/bundle.mjs deletes the cache with the
// old bundle. A missing, stale, rejected or unwritable cache only costs the compile it
// would have saved.
import { createHash } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import vm from "node:vm";

const SERVE_WRITE_AFTER_MS = 2000;

/**
 * CommonJS's module wrapper, which the bundle is compiled in. scripts/bundle.mjs writes main.cjs already
 * wrapped: wrapping it here made a second string of the whole source, which V8 then copied (8 ms a start
 * on a machine where fresh pages are dear; decision 0385). A file without it (tests' small programs, an
 * older bundle) is wrapped here.
 */
export const WRAPPER_START = "(function (exports, require, module, __filename, __dirname) {";
export const WRAPPER_END = "\n})";

/** Runs `file` as CommonJS; `serve` says the command is the long-running server. */
export function runBundle(file, { serve }) {
  const bytes = readFileSync(file);
  const source = bytes.toString("utf8");
  const cacheFile = `${file}.v8cache`;
  const digest = createHash("sha256").update(bytes).digest("base64url");
  const key = `${digest}:${process.version}:${process.arch}`;
  const cached = readCache(cacheFile, key);
  const wrapped = source.startsWith(WRAPPER_START) ? source : `${WRAPPER_START}${source}${WRAPPER_END}`;
  const script = new vm.Script(wrapped, {
    filename: file,
    ...(cached ? { cachedData: cached.data } : {}),
    // The bundle imports nothing dynamically outside itself; should it, Node's own loader answers.
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const usable = cached !== undefined && !script.cachedDataRejected;
  // A cache written by another command lacks the server's functions: `serve` replaces it with its own.
  if (!usable || (serve && cached.tag !== "serve")) {
    let written = false;
    const write = (tag) => {
      if (written) return;
      written = true;
      writeCache(cacheFile, `${key}|${tag}`, script.createCachedData());
    };
    // Only a server still running after two seconds has compiled the server: the cache later starts keep.
    if (serve) setTimeout(() => write("serve"), SERVE_WRITE_AFTER_MS).unref();
    process.once("exit", (code) => {
      // A `serve` that ended sooner (`serve --help`, a SIGTERM at once) leaves at most a client command's
      // cache, which the next server replaces; one that failed to start (a bad setting) changes nothing.
      if (serve && (code !== 0 || usable)) return;
      write("cli");
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
}

function readCache(cacheFile, key) {
  let buffer;
  try {
    buffer = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const end = buffer.indexOf(10);
  if (end < 0 || end > 200) return undefined;
  const [cachedKey, tag] = buffer.subarray(0, end).toString("latin1").split("|");
  return cachedKey === key ? { tag, data: buffer.subarray(end + 1) } : undefined;
}

function writeCache(cacheFile, header, data) {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${header}\n`, "latin1"), data]));
    renameSync(temporary, cacheFile);
  } catch {
    // A read-only installation runs without the cache.
    try {
      rmSync(temporary, { force: true });
    } catch {}
  }
}

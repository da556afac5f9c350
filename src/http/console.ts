/**
 * Serves the web console (SPEC I2): the static files Vite built into `dist/console/`, with a strict
 * Content-Security-Policy, and `index.html` for the console's own client routes. `/v1`, `/healthz`, `/readyz`
 * and `/metrics` are never shadowed: an unknown path there keeps the API's JSON 404.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { errorBody } from "./errors.js";

/**
 * No inline script, nothing from another origin, never framed. Style elements need the page's nonce: the
 * code editor (CodeMirror) writes its generated style sheet into one (decision note 0161).
 */
export const consoleCsp = (styleNonce: string) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${styleNonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": consoleCsp("none"),
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cross-origin-opener-policy": "same-origin",
};

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

const API_PREFIXES = ["/v1/", "/v1", "/healthz", "/readyz", "/metrics"];

/** The built console: `dist/console` beside the compiled server, or under the repository when run from sources. */
export function findConsoleDir(): string | null {
  for (const up of ["../../../dist/console", "../../dist/console", "../../console"]) {
    const dir = fileURLToPath(new URL(`${up}/`, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return null;
}

export function consolePlugin(dir: string | null = findConsoleDir()) {
  return async (app: FastifyInstance): Promise<void> => {
    if (!dir) return;
    const root = normalize(dir);
    const index = readFileSync(join(root, "index.html"), "utf8");
    const sendIndex = (reply: FastifyReply) => {
      const nonce = randomBytes(16).toString("base64");
      const page = index.replace(
        '<meta name="style-nonce" content="" />',
        `<meta name="style-nonce" content="${nonce}" />`,
      );
      return reply
        .headers({
          ...SECURITY_HEADERS,
          "content-security-policy": consoleCsp(nonce),
          "cache-control": "no-store",
        })
        .type("text/html; charset=utf-8")
        .send(page);
    };

    app.get("/assets/*", async (request, reply) => {
      const rest = (request.params as { "*": string })["*"];
      const path = normalize(join(root, "assets", rest));
      const type = TYPES[extname(path)];
      if (!path.startsWith(join(root, "assets") + sep) || !type) {
        return reply.status(404).send(errorBody("not_found", "no such file"));
      }
      const body = await readFile(path).catch(() => null);
      if (!body) return reply.status(404).send(errorBody("not_found", "no such file"));
      // Built file names carry a content hash: they never change.
      return reply
        .headers({ ...SECURITY_HEADERS, "cache-control": "public, max-age=31536000, immutable" })
        .type(type)
        .send(body);
    });
    app.get("/", async (_request, reply) => sendIndex(reply));
    // Client routes (/secrets, /projects/web, ...) load the same page; the API keeps its 404s.
    app.get("/*", async (request, reply) => {
      const path = request.url.split("?")[0] ?? "";
      if (API_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith("/") ? p : `${p}/`))) {
        return reply.status(404).send(errorBody("not_found", "no such route"));
      }
      return sendIndex(reply);
    });
  };
}

/**
 * The layering of src/ (docs/ARCHITECTURE.md, "Layers"), checked by `npm test` through dependency-cruiser:
 *   npx depcruise src --config .dependency-cruiser.cjs
 * A module may import its own layer and the layers below it, never one above; no import cycle anywhere.
 * Type-only imports count (tsPreCompilationDeps): a type is a dependency too. Tests and the test harness
 * (src/testing/) may import anything; production code never imports them.
 */

/** Lowest first. */
const LAYERS = [
  // audit/actions.ts is the vocabulary of audit entries: it imports nothing, so every layer may name one.
  ["base", "^src/((errors|json-depth|env-options|version|logger|caller|undici)\\.ts|audit/actions\\.ts)$"],
  ["redaction", "^src/redaction/"],
  ["crypto", "^src/crypto/"],
  ["store", "^src/store/"],
  ["engines", "^src/runtime/(fair-share\\.ts$|sandbox/|webhook/)"],
  ["http", "^src/http/"],
  ["mail", "^src/mail/"],
  ["audit", "^src/audit/"],
  ["auth", "^src/auth/"],
  ["secrets", "^src/secrets/"],
  ["consumers", "^src/consumers/"],
  ["runner", "^src/runtime/(runner|flows|templates)/"],
  // App installations run their actions through the runner's delivery and redaction (X8).
  ["apps", "^src/apps/"],
  ["config", "^src/config\\.ts$"],
  ["app", "^src/app\\.ts$"],
  ["entry", "^src/(cli/|index\\.ts$)"],
];

const TESTS = "(\\.test\\.tsx?$|^src/testing/)";

const paths = (layers) => layers.map(([, p]) => `(${p})`);

// A module two patterns match (audit/actions.ts) belongs to the lower layer.
const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `upward-from-${name}`,
  comment: `${name} may import only itself and the layers below it (docs/ARCHITECTURE.md, "Layers")`,
  severity: "error",
  from: { path, pathNot: [TESTS, ...paths(LAYERS.slice(0, i))] },
  to: { path: paths(LAYERS.slice(i + 1)), pathNot: paths(LAYERS.slice(0, i + 1)) },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "an import cycle: move what both sides need below both",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: "no-other-domains-store",
      comment: "a domain's SQL is its own: call its service or its exported functions, not its store.ts",
      severity: "error",
      from: { path: "^src/([^/]+)/", pathNot: TESTS },
      to: { path: ["^src/[^/]+/store\\.ts$", "^src/[^/]+/[^/]+/store\\.ts$"], pathNot: "^src/$1/" },
    },
    {
      name: "no-test-code-in-production",
      comment: "the test harness and tests are never imported by what ships",
      severity: "error",
      from: { path: "^src/", pathNot: TESTS },
      to: { path: TESTS },
    },
    {
      name: "client-stands-alone",
      comment: "the API client ships to other programs and the browser: it imports no server code",
      severity: "error",
      from: { path: "^src/client/", pathNot: TESTS },
      // Type-only imports are erased: the client's types come from the server's zod schemas (one schema).
      to: { path: "^src/", pathNot: "^src/client/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "console-uses-the-client",
      comment: "the console reaches the server only through the API client",
      severity: "error",
      from: { path: "^src/console/" },
      to: { path: "^src/", pathNot: "^src/(console|client)/" },
    },
    {
      name: "layered",
      comment: "every module of src/ belongs to a layer (add a new folder to LAYERS)",
      severity: "error",
      from: {
        path: "^src/",
        pathNot: [TESTS, "^src/(client|console)/", ...paths(LAYERS)],
      },
      to: {},
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/console/.*\\.(css|html)$" },
  },
};

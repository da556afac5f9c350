/**
 * `import "cloakroom"`: what a program that talks to Cloakroom needs, without the server. The typed API
 * client (also `cloakroom/client`) and the redactor (also `cloakroom/redaction`), which an integration
 * platform can run on its own logs with the same forms the server uses. The server itself is started with
 * the `cloakroom serve` command, not imported: see docs/decisions/0136-package-entry.md.
 */
export * from "./client/index.js";
export * from "./redaction/index.js";

/**
 * `cloakroom/redaction` (SPEC X6, I5): replaces every value of a set of secrets, in every form it takes on
 * the way out (raw, normalized, JSON-escaped, percent-encoded, base64), by `[[SENSITIVE]]`. Standalone:
 * it depends on nothing else in the product.
 */
export { redactDeep } from "./deep.js";
export { createRedactor, isLayered, type Redactor, SENSITIVE } from "./redactor.js";
export { startBuildWarmUp } from "./warm-up.js";

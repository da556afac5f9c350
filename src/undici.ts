/**
 * undici, behind one module that callers import dynamically (`await import("./undici.js")`): it is a tenth
 * of the server's module loading and a node that never delivers a webhook never needs it (decision 0164).
 * The static re-export matters: a dynamic `import("undici")` of the CommonJS package inside the bundle
 * would yield only a default export, while these names resolve the same bundled or not.
 */
export { Agent, buildConnector, request } from "undici";

/**
 * The JavaScript an `expressions` job runs in its fresh QuickJS context besides the expressions themselves
 * (SPEC X4, decision 0250). There is no prelude and no driver loop in the sandbox: the engine
 * (engine-expressions.ts) evaluates each expression itself and reads its value through the QuickJS API,
 * because QuickJS in wasm compiles about 10 bytes of code per microsecond and every job compiles this text.
 *
 * SETUP is called with the scope as one JSON string. It sets `event`, `steps` and `secrets` as globals and
 * answers what the engine holds on to, captured before any expression runs (an expression that replaces
 * `JSON.stringify`, `String` or `Reflect.get` changes nothing for the ones after it):
 * `[marker, missing, stringify, String]`. `secrets` is a proxy: reading a name that is not there throws
 * `marker`, and `missing()` names it.
 *
 * A full context (an expression that may call code) also gets what the prelude gave expressions before
 * (FULL_SETUP, called with the web helpers' source): a `console`, whose lines expressions never kept, so it
 * writes nowhere; and `btoa`, `atob`, `TextEncoder` and `TextDecoder`, compiled the first time one of them
 * is touched.
 */

export const SETUP_SOURCE = `(function (scope) {
"use strict";
const g = globalThis, get = Reflect.get, marker = {}, o = JSON.parse(scope);
let missing = "";
g.event = o.event;
g.steps = o.steps;
g.secrets = new Proxy(o.secrets, { get: function (target, key, receiver) {
if (typeof key !== "string" || key in target || key === "toJSON" || key === "then") return get(target, key, receiver);
missing = key;
throw marker;
} });
return [marker, function () { return missing; }, JSON.stringify, String];
})`;

/**
 * Run first in every lean context (decision 0310): `Function` is out of reach. A simple expression could
 * otherwise reach it by member reads (`event.constructor.constructor`), and one implicit call of it with
 * an argument of the expression's choosing compiles that argument as code. The analysis refuses every
 * such call it knows of (`toJSON` keys); this closes the route itself, so a call it does not know of
 * finds no `Function` at the end. A function's `constructor` reads `undefined` in a lean context.
 */
export const LEAN_GUARD_SOURCE = `Object.defineProperty(Function.prototype, "constructor", { value: undefined, writable: false, enumerable: false, configurable: false }); undefined`;

export const FULL_SETUP_SOURCE = `(function (web) {
"use strict";
const g = globalThis, define = Object.defineProperty, quiet = function () {};
const names = ["btoa", "atob", "TextEncoder", "TextDecoder"];
let helpers = null;
define(g, "console", { value: { log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet }, writable: true, configurable: true });
function install() {
if (helpers === null) helpers = (0, eval)(web);
for (let i = 0; i < 4; i++) define(g, names[i], { value: helpers[names[i]], writable: true, configurable: true });
}
for (let i = 0; i < 4; i++) {
const name = names[i];
define(g, name, { get: function () { install(); return helpers[name]; }, set: function (v) { install(); g[name] = v; }, configurable: true });
}
})`;

/**
 * Words what an expression threw, compiled only when one throws (and, once, into a kept context's loop); `S` is the captured `String`. Property
 * reads and `S` may run the expression's own getters: under the job's deadline, and a throw is caught.
 */
export const DESCRIBE_SOURCE = `(function (e, S) {
"use strict";
try {
if (e !== null && typeof e === "object" && typeof e.message === "string") return (typeof e.name === "string" && e.name ? e.name + ": " : "") + e.message;
return "Uncaught " + S(e);
} catch (x) {
return "Uncaught exception";
}
})`;

export const SETUP_FILENAME = "<expressions>";

/** One expression's outcome as the engine reports it; expressions.ts words the failures. */
export type ExpressionItem =
  | { text: string }
  | { json: string }
  /** What it threw, described. */
  | { error: string }
  /** The secret name it read that is not in `secrets`. */
  | { missing: string }
  /** What its value is instead of text or JSON. */
  | { not: "undefined" | "function" | "symbol" | "promise" | "json" };

/**
 * The evaluation loop of a kept context (decision 0310), compiled once when the context is kept and
 * called with SETUP, the function forms of the job's sources as JSON (simple.ts `functionForm`) and the
 * output bound. It compiles each form once and answers the function each job calls with its scope and
 * `keepGoing`, which calls each expression's function and describes its value as the engine does for a
 * fresh context, so a job is one call into the sandbox instead of several per expression. It answers the
 * items as JSON text, or -1 when their texts (values, errors and missing names) pass the bound. Only simple expressions run in a kept
 * context: none can reach or change what this loop captured (`JSON.stringify`, `String`).
 */
export const KEPT_LOOP_SOURCE = `(function (setup, formsJson, max) {
"use strict";
const stringify = JSON.stringify, S = String, fns = JSON.parse(formsJson).map((0, eval)), n = fns.length;
for (let i = 0; i < n; i++) if (typeof fns[i] !== "function") throw new TypeError("not a function form");
const describe = ${DESCRIBE_SOURCE};
return function (scope, keepGoing) {
const held = setup(scope), marker = held[0], missing = held[1], items = [];
let chars = 0;
for (let i = 0; i < n; i++) {
let item, text;
try {
const v = fns[i](), t = typeof v;
if (t === "string") item = { text: text = v };
else if (t === "number" || t === "boolean" || t === "bigint") item = { text: text = S(v) };
else if (t !== "object") item = { not: t };
else {
const json = stringify(v);
item = typeof json === "string" ? { json: text = json } : { not: "json" };
}
} catch (e) {
item = e === marker ? { missing: missing() } : { error: describe(e, S) };
}
const told = text !== undefined ? text : item.error !== undefined ? item.error : item.missing;
if (told !== undefined && (chars += told.length) > max) return -1;
items.push(item);
if (!keepGoing && text === undefined) break;
}
return stringify(items);
};
})`;

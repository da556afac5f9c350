/**
 * The form the sandbox evaluates an expression in, and which expressions are "simple" (decision 0171):
 * nothing in them can call code the expression chooses, define a function or assign anything. A simple
 * expression reaches only `event`, `steps`, `secrets`, literals and what member reads lead to from them;
 * the only code it can make run is a built-in's, through an implicit conversion, with no arguments, or
 * one of the conversion functions of PURE_CALLS called by name (decision 0310).
 *
 * The save-time analysis (consumers/flow-analysis.ts) uses the same rules to mark a step's expressions
 * for a lean context; the worker judges the exact source text again (`isSimpleSource`) before a job may
 * run in a context kept from an earlier job (engine-expressions.ts, decision 0310), so that reuse never
 * rests on what the host says about a job.
 */
import { type Node, parse } from "acorn";
import { fullAncestor } from "acorn-walk";

export const EXPRESSION_PREFIX = '"use strict";(';

/** The source the sandbox evaluates for one expression's text. */
export const sandboxSource = (text: string): string => `${EXPRESSION_PREFIX}${text}\n)`;

/** Node types that cannot call anything the expression chooses (implicit conversions only reach built-ins). */
const SIMPLE_NODES = new Set([
  "Identifier",
  "Literal",
  "TemplateLiteral",
  "TemplateElement",
  "MemberExpression",
  "ChainExpression",
  "BinaryExpression",
  "LogicalExpression",
  "ConditionalExpression",
  "UnaryExpression",
  "ArrayExpression",
  "ObjectExpression",
  "Property",
  "SpreadElement",
  "SequenceExpression",
]);
/** The globals a simple expression may name. */
const SIMPLE_GLOBALS = new Set(["event", "steps", "secrets", "undefined", "NaN", "Infinity"]);
/**
 * Global functions a simple expression may call by name, with at most two arguments: each only converts
 * its arguments (to a string, a number or a boolean) and computes from the result, so such a call can
 * run nothing an operator's implicit conversion could not (`String(x)` is `` `${x}` ``, `Number(x)` is
 * `+x`). The name is allowed only as the callee: the function itself is never a value the expression has.
 */
const PURE_CALLS = new Set([
  "String",
  "Number",
  "Boolean",
  "parseInt",
  "parseFloat",
  "encodeURIComponent",
  "encodeURI",
  "decodeURIComponent",
  "decodeURI",
]);

type AnyNode = Node & Record<string, unknown>;

/**
 * Whether this node keeps its expression simple; its children are judged on their own. Identifiers
 * reached by a walk are references (a member's or a property's plain key is not walked), so each must
 * be one of the allowed globals, or a PURE_CALLS name as the callee of its `parent`.
 */
export function isSimpleNode(node: Node, parent?: Node): boolean {
  const n = node as AnyNode;
  if (n.type === "CallExpression") {
    const callee = n.callee as AnyNode;
    const args = n.arguments as unknown[];
    return callee.type === "Identifier" && PURE_CALLS.has(callee.name as string) && args.length <= 2;
  }
  if (!SIMPLE_NODES.has(n.type)) return false;
  if (n.type === "UnaryExpression") return n.operator !== "delete";
  if (n.type === "Property") return simpleProperty(n);
  if (n.type === "Identifier") {
    const name = n.name as string;
    if (SIMPLE_GLOBALS.has(name)) return true;
    const call = parent as AnyNode | undefined;
    return call?.type === "CallExpression" && call.callee === n && PURE_CALLS.has(name);
  }
  return true;
}

/**
 * A property of an object literal: a plain value (no getter, setter or method) under a key written out,
 * never computed, and never `toJSON`. `JSON.stringify` calls a value's `toJSON` with the property's key as
 * its argument: the one implicit call that passes an argument the expression chooses. With `Function`
 * as the `toJSON` (reached as `event.constructor.constructor`), QuickJS would compile the key as source
 * text: code run by an expression with no call in it (found in review, decision 0310).
 */
function simpleProperty(n: AnyNode): boolean {
  if (n.kind !== "init" || n.method === true || n.computed === true) return false;
  const key = n.key as AnyNode;
  const name = key.type === "Identifier" ? key.name : key.value;
  return name !== "toJSON";
}

/**
 * Sources judged so far, each with its function form (null: not simple); a flow's expressions come back
 * run after run.
 */
const judged = new Map<string, string | null>();
const JUDGED_MAX = 4096;

/**
 * Whether `source` is exactly `sandboxSource(text)` for one simple expression: the strict directive,
 * then one expression statement in which every node is simple. Anything else (another shape, a syntax
 * error) is not.
 */
export function isSimpleSource(source: string): boolean {
  return functionForm(source) !== null;
}

/**
 * A simple source's expression as a function that returns it: `(function () {"use strict";return (<text>
 * )})`, which a kept context compiles once and calls per job (decision 0310). Null when the source is not
 * simple. The function's body is the source with `return` before its expression statement: the same
 * tokens after the same `(`, ended by `}` where the source ended, so the same expression. A simple
 * expression names no `this`, `arguments` or `new.target`, the only names a function body reads otherwise.
 * The form is parsed again and must be one function whose body is the directive and one return.
 */
export function functionForm(source: string): string | null {
  const known = judged.get(source);
  if (known !== undefined) return known;
  const form = judge(source) ? toFunction(source) : null;
  if (judged.size >= JUDGED_MAX) judged.delete(judged.keys().next().value as string);
  judged.set(source, form);
  return form;
}

const program = (source: string): AnyNode[] | null => {
  try {
    return (parse(source, { ecmaVersion: "latest", sourceType: "script" }) as unknown as AnyNode)
      .body as AnyNode[];
  } catch {
    return null;
  }
};

function judge(source: string): boolean {
  if (!source.startsWith(EXPRESSION_PREFIX) || !source.endsWith("\n)")) return false;
  const body = program(source);
  const [directive, statement] = body ?? [];
  if (body?.length !== 2 || directive?.directive !== "use strict") return false;
  if (statement?.type !== "ExpressionStatement") return false;
  let simple = true;
  fullAncestor(statement.expression as Node, (node, _state, ancestors) => {
    if (!isSimpleNode(node, ancestors[ancestors.length - 2])) simple = false;
  });
  return simple;
}

function toFunction(source: string): string | null {
  const text = source.slice(EXPRESSION_PREFIX.length, -"\n)".length);
  const form = `(function () {"use strict";return (${text}\n)})`;
  const body = program(form);
  const fn = body?.length === 1 ? (body[0]!.expression as AnyNode | undefined) : undefined;
  if (fn?.type !== "FunctionExpression" || (fn.params as unknown[]).length !== 0) return null;
  const inner = (fn.body as AnyNode).body as AnyNode[];
  const [directive, returned] = inner;
  if (inner.length !== 2 || directive?.directive !== "use strict") return null;
  if (returned?.type !== "ReturnStatement" || !returned.argument) return null;
  return form;
}

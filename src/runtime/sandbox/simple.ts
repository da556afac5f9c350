/**
 * The form the sandbox evaluates an expression in, and which expressions are "simple" (decision 0171):
 * nothing in them can call code the expression chooses, define a function or assign anything. A simple
 * expression reaches only `event`, `steps`, `secrets`, literals and what member reads lead to from them;
 * the only code it can make run is a built-in's, through an implicit conversion, with no arguments.
 *
 * The save-time analysis (consumers/flow-analysis.ts) uses the same rules to mark a step's expressions
 * for a lean context; the worker judges the exact source text again (`isSimpleSource`) before a job may
 * run in a context kept from an earlier job (engine-expressions.ts, decision 0310), so that reuse never
 * rests on what the host says about a job.
 */
import { type Node, parse } from "acorn";
import { full } from "acorn-walk";

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

type AnyNode = Node & Record<string, unknown>;

/**
 * Whether this node keeps its expression simple; its children are judged on their own. Identifiers
 * reached by a walk are references (a member's or a property's plain key is not walked), so each must
 * be one of the allowed globals.
 */
export function isSimpleNode(node: Node): boolean {
  const n = node as AnyNode;
  if (!SIMPLE_NODES.has(n.type)) return false;
  if (n.type === "UnaryExpression") return n.operator !== "delete";
  if (n.type === "Property") return n.kind === "init" && n.method !== true;
  if (n.type === "Identifier") return SIMPLE_GLOBALS.has(n.name as string);
  return true;
}

/** Sources judged so far; a flow's expressions come back run after run. */
const judged = new Map<string, boolean>();
const JUDGED_MAX = 4096;

/**
 * Whether `source` is exactly `sandboxSource(text)` for one simple expression: the strict directive,
 * then one expression statement in which every node is simple. Anything else (another shape, a syntax
 * error) is not.
 */
export function isSimpleSource(source: string): boolean {
  const known = judged.get(source);
  if (known !== undefined) return known;
  const simple = judge(source);
  if (judged.size >= JUDGED_MAX) judged.delete(judged.keys().next().value as string);
  judged.set(source, simple);
  return simple;
}

function judge(source: string): boolean {
  if (!source.startsWith(EXPRESSION_PREFIX) || !source.endsWith("\n)")) return false;
  let program: AnyNode;
  try {
    program = parse(source, { ecmaVersion: "latest", sourceType: "script" }) as unknown as AnyNode;
  } catch {
    return false;
  }
  const body = program.body as AnyNode[];
  const [directive, statement] = body;
  if (body.length !== 2 || directive?.directive !== "use strict") return false;
  if (statement?.type !== "ExpressionStatement") return false;
  let simple = true;
  full(statement.expression as Node, (node) => {
    if (!isSimpleNode(node)) simple = false;
  });
  return simple;
}

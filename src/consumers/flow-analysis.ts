/**
 * Save-time analysis of flow expressions (SPEC X4, S11) with a real JavaScript parser (acorn): which
 * secrets an expression names (`secrets.X`, `secrets?.X`, `secrets["X"]`, `` secrets[`X`] ``), whether it
 * names them "plainly" (the whole expression, or a template-literal interpolation), whether it reaches
 * `secrets` some other way (a computed key, `secrets` passed on), and whether it is "simple" (no calls, no
 * functions, no `this`/`globalThis`: nothing that could run code; runtime/sandbox/simple.ts). See
 * docs/decisions/0171.
 *
 * An expression is parsed exactly as the sandbox runs it, `"use strict";(<text>\n)`, and must be one
 * expression statement: text that closes the parenthesis to add statements is refused here.
 */
import { type Node, parse } from "acorn";
import { fullAncestor } from "acorn-walk";
import { EXPRESSION_PREFIX, isSimpleNode, sandboxSource } from "../runtime/sandbox/simple.js";

export interface SecretUse {
  name: string;
  /** `secrets.X` is the whole expression or an interpolation of an untagged template literal. */
  plain: boolean;
}

export type ExpressionAnalysis =
  | {
      ok: true;
      uses: SecretUse[];
      /** `secrets` is used other than with a literal key: the expression may read any declared secret. */
      dynamic: boolean;
      /** Nothing in it can run code (runtime/sandbox/simple.ts `isSimpleNode`). */
      simple: boolean;
      /** It reads `steps`: it can only be evaluated once the steps before have run. */
      usesSteps: boolean;
    }
  | { ok: false; message: string };

type AnyNode = Node & Record<string, unknown>;

export { sandboxSource };

export function analyzeExpression(text: string): ExpressionAnalysis {
  let program: AnyNode;
  try {
    program = parse(sandboxSource(text), {
      ecmaVersion: "latest",
      sourceType: "script",
    }) as unknown as AnyNode;
  } catch (error) {
    return { ok: false, message: syntaxMessage(error, text.split("\n").length) };
  }
  const body = program.body as AnyNode[];
  const statement = body[1];
  if (body.length !== 2 || statement?.type !== "ExpressionStatement") {
    return { ok: false, message: "must be one JavaScript expression, not statements" };
  }
  const root = statement.expression as AnyNode;
  const uses: SecretUse[] = [];
  let dynamic = false;
  let simple = true;
  let usesSteps = false;
  fullAncestor(root, (node, _state, ancestors) => {
    const n = node as AnyNode;
    if (!isSimpleNode(n, ancestors[ancestors.length - 2])) simple = false;
    if (n.type !== "Identifier") return;
    if (n.name === "steps") usesSteps = true;
    if (n.name !== "secrets") return;
    // ancestors ends with the node itself; ancestors[0] is the root expression.
    const parent = ancestors[ancestors.length - 2] as AnyNode | undefined;
    const name = parent?.type === "MemberExpression" && parent.object === n ? memberName(parent) : null;
    if (name === null) {
      dynamic = true;
      return;
    }
    uses.push({ name, plain: isPlain(ancestors.slice(0, -1) as AnyNode[], root) });
  });
  return { ok: true, uses, dynamic, simple, usesSteps };
}

/** The key of `secrets.X` / `secrets["X"]` / `` secrets[`X`] ``; null when computed at run time. */
function memberName(member: AnyNode): string | null {
  const property = member.property as AnyNode;
  if (!member.computed) return property.type === "Identifier" ? (property.name as string) : null;
  if (property.type === "Literal" && typeof property.value === "string") return property.value;
  if (property.type === "TemplateLiteral" && (property.expressions as unknown[]).length === 0) {
    const quasi = (property.quasis as AnyNode[])[0];
    const cooked = (quasi?.value as { cooked?: string | null } | undefined)?.cooked;
    return typeof cooked === "string" ? cooked : null;
  }
  return null;
}

/** `path` ends with the `secrets.X` member expression; its container decides. */
function isPlain(path: AnyNode[], root: AnyNode): boolean {
  let i = path.length - 1;
  let node = path[i];
  // `secrets?.X` is a ChainExpression around the member.
  if (path[i - 1]?.type === "ChainExpression") node = path[--i];
  if (node === root) return true;
  const container = path[i - 1];
  if (container?.type !== "TemplateLiteral") return false;
  if (!(container.expressions as AnyNode[]).includes(node as AnyNode)) return false;
  // A tag function receives the value: that is computing with it.
  return path[i - 2]?.type !== "TaggedTemplateExpression";
}

function syntaxMessage(error: unknown, lines: number): string {
  const e = error as { message?: unknown; loc?: { line: number; column: number } };
  const raw = typeof e.message === "string" ? e.message.replace(/\s*\(\d+:\d+\)$/, "") : "syntax error";
  if (!e.loc) return `SyntaxError: ${raw}`;
  // The line the sandbox adds to close the parenthesis: the text stopped mid-expression.
  if (e.loc.line > lines) return `SyntaxError: ${raw} at the end of the expression`;
  const column =
    e.loc.line === 1 ? Math.max(1, e.loc.column - EXPRESSION_PREFIX.length + 1) : e.loc.column + 1;
  return `SyntaxError: ${raw} (line ${e.loc.line}, column ${column})`;
}

/** Secret names a flow's expressions and logic steps name, for save-time checks and alias spellings. */
export function namedSecrets(analyses: readonly ExpressionAnalysis[], logicNames: readonly string[]) {
  const names = new Set<string>(logicNames);
  for (const a of analyses) if (a.ok) for (const use of a.uses) names.add(use.name);
  return [...names].sort();
}

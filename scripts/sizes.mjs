#!/usr/bin/env node
// The largest files and functions under src/ (STYLE: no function over 120 lines, no file over 400).
//   node scripts/sizes.mjs            the five largest of each
//   node scripts/sizes.mjs 20         the twenty largest
//   node scripts/sizes.mjs 5 --check  also exits 1 when anything is over the limits (the matcher aside)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const FILE_LIMIT = 400;
const FUNCTION_LIMIT = 120;
// The Aho-Corasick matcher is one data structure whose parts share private state (see its header).
const EXCEPTED = new Set(["src/redaction/matcher.ts"]);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

const files = [];
const functions = [];
for (const path of walk("src", [])) {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  files.push({ where: path, lines });
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const name = node.name?.getText(source) ?? nameFromParent(node, source);
      functions.push({ where: `${path}:${start} ${name}`, lines: end - start + 1, path });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

function nameFromParent(node, source) {
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p))) return p.name.getText(source);
  if (p && ts.isCallExpression(p)) return `(callback of ${p.expression.getText(source).slice(0, 40)})`;
  return "(anonymous)";
}

const most = Number(process.argv[2]) || 5;
const byLines = (a, b) => b.lines - a.lines;
console.log(`largest files (limit ${FILE_LIMIT}):`);
for (const f of files.sort(byLines).slice(0, most)) console.log(`  ${f.lines}  ${f.where}`);
console.log(`largest functions (limit ${FUNCTION_LIMIT}):`);
for (const f of functions.sort(byLines).slice(0, most)) console.log(`  ${f.lines}  ${f.where}`);

if (process.argv.includes("--check")) {
  const over = [
    ...files.filter((f) => f.lines > FILE_LIMIT && !EXCEPTED.has(f.where)),
    ...functions.filter((f) => f.lines > FUNCTION_LIMIT && !EXCEPTED.has(f.path)),
  ];
  for (const f of over) console.error(`over the limit: ${f.lines}  ${f.where}`);
  process.exit(over.length ? 1 : 0);
}

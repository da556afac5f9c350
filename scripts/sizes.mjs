#!/usr/bin/env node
// The largest files and functions of src/ (tests and the console aside), for the limits of the developers'
// guide: no file over 400 lines, no function over 120. A function's lines are those of its whole text,
// nested functions included. Usage: node scripts/sizes.mjs [count] [path-substring...]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const [countArg, ...filters] = process.argv.slice(2);
const count = Number(countArg) || 5;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (path !== join("src", "console")) walk(path, out);
    } else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

const files = walk("src", []).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const fileSizes = [];
const functionSizes = [];
for (const file of files) {
  const text = readFileSync(file, "utf8");
  fileSizes.push({ lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0), where: file });
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name?.getText(source) ?? nameFromParent(node, source) ?? "(anonymous)";
      functionSizes.push({ lines: end - start + 1, where: `${file}:${start + 1} ${name}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

function nameFromParent(node, source) {
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) {
    return parent.name.getText(source);
  }
  return undefined;
}

const top = (list) =>
  list
    .sort((a, b) => b.lines - a.lines)
    .slice(0, count)
    .map((x) => `${String(x.lines).padStart(5)}  ${x.where}`)
    .join("\n");
console.log(
  `largest files (limit 400):\n${top(fileSizes)}\n\nlargest functions (limit 120):\n${top(functionSizes)}`,
);

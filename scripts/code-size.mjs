#!/usr/bin/env node
// The largest files and functions under a folder, to check the limits of the developers' guide (no file
// over 400 lines, no function over 120, in src/); tests are left out.
//   node scripts/code-size.mjs [folder=src] [how many=8]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const [folder = "src", count = "8"] = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) files.push(path);
  }
};
walk(folder);

const fileLines = [];
const functions = [];
for (const file of files) {
  const text = readFileSync(file, "utf8");
  fileLines.push([text.split("\n").length - (text.endsWith("\n") ? 1 : 0), file]);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lineOf = (pos) => source.getLineAndCharacterOfPosition(pos).line;
  const nameOf = (node) => {
    if (node.name) return node.name.getText();
    const parent = node.parent;
    if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)))
      return parent.name.getText();
    return "<anonymous>";
  };
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const first = lineOf(node.getStart());
      functions.push([lineOf(node.end) - first + 1, `${file}:${first + 1} ${nameOf(node)}`]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
const largest = (rows) => rows.sort((x, y) => y[0] - x[0]).slice(0, Number(count));
console.log("files (lines):");
for (const [n, what] of largest(fileLines)) console.log(`  ${n}  ${what}`);
console.log("functions (lines):");
for (const [n, what] of largest(functions)) console.log(`  ${n}  ${what}`);

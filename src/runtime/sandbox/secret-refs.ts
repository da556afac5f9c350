/**
 * Static scan of the secret names a logic function or expression refers to, for save-time validation
 * (a consumer may only name secrets it declares and that exist).
 *
 * Recognized: `secrets.NAME`, `secrets?.NAME`, `secrets["NAME"]`, `secrets['NAME']`, `` secrets[`NAME`] ``,
 * `secrets?.["NAME"]`, and `const { NAME, OTHER: alias } = secrets`. A small tokenizer skips comments,
 * string contents and regular expressions, and reads template substitutions as code, so
 * `// secrets.OLD` or `"secrets.X"` are not references while `` `${secrets.X}` `` is.
 * Not recognized (by design, a static scan cannot know them): computed names (`secrets[name]`) and
 * aliases (`const s = secrets; s.X`).
 */

type Token =
  | { type: "name"; value: string }
  | { type: "string"; value: string }
  | { type: "punct"; value: string }
  | { type: "other" };

const PUNCTUATORS = [
  ">>>=",
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  ">>=",
  ">>>",
  "&&=",
  "||=",
  "??=",
  "?.",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "**",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "<<",
  ">>",
];

/** After these words a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const IDENTIFIER_START = /[A-Za-z_$\u0080-\uffff]/;
const IDENTIFIER_PART = /[\w$\u0080-\uffff]/;

export function referencedSecretNames(code: string): string[] {
  const tokens = tokenize(code);
  const names = new Set<string>();
  const at = (i: number): Token | undefined => tokens[i];
  const isPunct = (token: Token | undefined, value: string) =>
    token?.type === "punct" && token.value === value;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type !== "name" || token.value !== "secrets") continue;
    const previous = at(i - 1);
    if (isPunct(previous, ".") || isPunct(previous, "?.")) continue;

    let next = i + 1;
    if (isPunct(at(next), "?.")) {
      const after = at(next + 1);
      if (after?.type === "name") {
        names.add(after.value);
        continue;
      }
      next++;
    } else if (isPunct(at(next), ".")) {
      const after = at(next + 1);
      if (after?.type === "name") names.add(after.value);
      continue;
    }
    if (isPunct(at(next), "[")) {
      const key = at(next + 1);
      if (key?.type === "string" && isPunct(at(next + 2), "]")) names.add(key.value);
      continue;
    }
    if (isPunct(previous, "=") && isPunct(at(i - 2), "}")) {
      for (const name of destructuredKeys(tokens, i - 2)) names.add(name);
    }
  }
  return [...names].sort();
}

/** Top-level keys of the object pattern whose closing brace is at `close`. */
function destructuredKeys(tokens: Token[], close: number): string[] {
  let depth = 0;
  let open = -1;
  for (let i = close; i >= 0; i--) {
    const token = tokens[i]!;
    if (token.type !== "punct") continue;
    if (token.value === "}" || token.value === "]" || token.value === ")") depth++;
    else if (token.value === "{" || token.value === "[" || token.value === "(") {
      depth--;
      if (depth === 0) {
        open = token.value === "{" ? i : -1;
        break;
      }
    }
  }
  if (open < 0) return [];
  const keys: string[] = [];
  depth = 0;
  for (let i = open + 1; i < close; i++) {
    const token = tokens[i]!;
    if (token.type === "punct" && (token.value === "{" || token.value === "[" || token.value === "("))
      depth++;
    else if (token.type === "punct" && (token.value === "}" || token.value === "]" || token.value === ")"))
      depth--;
    if (depth !== 0) continue;
    const previous = tokens[i - 1]!;
    const startsEntry =
      i === open + 1 || (previous.type === "punct" && (previous.value === "," || previous.value === "{"));
    if (startsEntry && (token.type === "name" || token.type === "string")) keys.push(token.value);
  }
  return keys;
}

function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  /** Open `{` count inside each template substitution we are in, innermost last. */
  const templates: number[] = [];
  let i = 0;

  const regexAllowed = (): boolean => {
    const last = tokens[tokens.length - 1];
    if (!last) return true;
    if (last.type === "punct") return last.value !== ")" && last.value !== "]";
    if (last.type === "name") return REGEX_AFTER_WORDS.has(last.value);
    return false;
  };

  while (i < code.length) {
    const c = code[i]!;
    const next = code[i + 1];

    const afterTrivia = skipTrivia(code, i);
    if (afterTrivia > i) {
      i = afterTrivia;
      continue;
    }
    if (c === '"' || c === "'") {
      const quoted = readQuoted(code, i);
      i = quoted.end;
      tokens.push({ type: "string", value: quoted.value });
      continue;
    }
    if (c === "`") {
      const part = readTemplatePart(code, i + 1);
      i = part.end;
      if (part.substitution) {
        templates.push(0);
        tokens.push({ type: "other" });
      } else {
        tokens.push({ type: "string", value: part.text });
      }
      continue;
    }
    if (c === "}" && templates.length > 0 && templates[templates.length - 1] === 0) {
      templates.pop();
      const part = readTemplatePart(code, i + 1);
      i = part.end;
      if (part.substitution) templates.push(0);
      tokens.push({ type: "other" });
      continue;
    }
    if (IDENTIFIER_START.test(c)) {
      const start = i;
      i++;
      while (i < code.length && IDENTIFIER_PART.test(code[i]!)) i++;
      tokens.push({ type: "name", value: code.slice(start, i) });
      continue;
    }
    if ((c >= "0" && c <= "9") || (c === "." && next !== undefined && next >= "0" && next <= "9")) {
      i++;
      while (i < code.length && /[\w.]/.test(code[i]!)) i++;
      tokens.push({ type: "other" });
      continue;
    }
    if (c === "/" && regexAllowed()) {
      i = skipRegex(code, i);
      tokens.push({ type: "other" });
      continue;
    }
    if (c === "?" && next === "." && !/[0-9]/.test(code[i + 2] ?? "")) {
      tokens.push({ type: "punct", value: "?." });
      i += 2;
      continue;
    }
    const punctuator = PUNCTUATORS.find((p) => code.startsWith(p, i)) ?? c;
    if (templates.length > 0) {
      if (punctuator === "{") templates[templates.length - 1]!++;
      else if (punctuator === "}") templates[templates.length - 1]!--;
    }
    tokens.push({ type: "punct", value: punctuator });
    i += punctuator.length;
  }
  return tokens;
}

/** The index after the whitespace or comment at `i`, or `i` itself when there is none. */
function skipTrivia(code: string, i: number): number {
  const c = code[i]!;
  const next = code[i + 1];
  if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v" || c === "\ufeff") {
    return i + 1;
  }
  if (c === "/" && next === "/") {
    let end = i;
    while (end < code.length && code[end] !== "\n" && code[end] !== "\r") end++;
    return end;
  }
  if (c === "/" && next === "*") {
    const end = code.indexOf("*/", i + 2);
    return end < 0 ? code.length : end + 2;
  }
  return i;
}

/** Reads the quoted string opening at `start`; `end` is the index after its closing quote. */
function readQuoted(code: string, start: number): { value: string; end: number } {
  const quote = code[start];
  let i = start + 1;
  let value = "";
  while (i < code.length && code[i] !== quote && code[i] !== "\n") {
    if (code[i] === "\\") {
      const [decoded, length] = readEscape(code, i);
      value += decoded;
      i += length;
    } else {
      value += code[i];
      i++;
    }
  }
  return { value, end: i + 1 };
}

/**
 * Reads template characters from `start` to the closing backtick or a `${`; `substitution` is true if a
 * substitution opened, and `end` is the index after the backtick or the `${`.
 */
function readTemplatePart(code: string, start: number): { text: string; substitution: boolean; end: number } {
  let i = start;
  let text = "";
  while (i < code.length) {
    const c = code[i]!;
    if (c === "`") return { text, substitution: false, end: i + 1 };
    if (c === "$" && code[i + 1] === "{") return { text, substitution: true, end: i + 2 };
    if (c === "\\") {
      const [value, length] = readEscape(code, i);
      text += value;
      i += length;
      continue;
    }
    text += c;
    i++;
  }
  return { text, substitution: false, end: i };
}

/** Skips a regular expression literal starting at the `/` at `start`; returns the index after its flags. */
function skipRegex(code: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < code.length) {
    const c = code[i]!;
    if (c === "\n" || c === "\r") return i;
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) {
      i++;
      while (i < code.length && IDENTIFIER_PART.test(code[i]!)) i++;
      return i;
    }
    i++;
  }
  return i;
}

/** Decodes the escape sequence starting at the backslash at `start`: [value, length consumed]. */
function readEscape(code: string, start: number): [string, number] {
  const c = code[start + 1];
  if (c === undefined) return ["", 1];
  const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", "0": "\0" };
  if (c in simple && !(c === "0" && /[0-9]/.test(code[start + 2] ?? ""))) return [simple[c]!, 2];
  if (c === "x") {
    const hex = code.slice(start + 2, start + 4);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) return [String.fromCharCode(Number.parseInt(hex, 16)), 4];
  }
  if (c === "u") {
    if (code[start + 2] === "{") {
      const end = code.indexOf("}", start + 3);
      const hex = end < 0 ? "" : code.slice(start + 3, end);
      const point = Number.parseInt(hex, 16);
      if (/^[0-9a-fA-F]{1,6}$/.test(hex) && point <= 0x10ffff)
        return [String.fromCodePoint(point), end - start + 1];
    } else {
      const hex = code.slice(start + 2, start + 6);
      if (/^[0-9a-fA-F]{4}$/.test(hex)) return [String.fromCharCode(Number.parseInt(hex, 16)), 6];
    }
  }
  if (c === "\r" && code[start + 2] === "\n") return ["", 3];
  if (c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029") return ["", 2];
  return [c, 2];
}

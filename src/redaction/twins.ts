/**
 * Twins (decision 0335): a form that differs from another form of the same value only in the case of its
 * escapes' hex digits (or in the alphabet of its base64 digits) is listed once, as that other form's string
 * and a kind, and written out only where a string is needed (verification of a candidate, the stream's
 * prefix index, `expandPatterns`). The percent-encoded forms in lower-case hex and the URL-safe base64 were
 * a sixth to a quarter of the characters of the sets of printable, URL and non-ASCII values, each made,
 * kept and copied by the collector like any other.
 */

/** The string's percent escapes in lower-case hex (the 2 characters after each `%`). */
export const LOWER_ESCAPES = 1;
/** The string (base64 digits) in the URL-safe alphabet: `-` for `+`, `_` for `/`. */
export const URL_SAFE = 2;
export type TwinKind = typeof LOWER_ESCAPES | typeof URL_SAFE;

/**
 * The twin of `s`. Every `%` of a form with escapes starts one (the encoders escape `%` itself), and
 * `| 0x20` lower-cases A-F and leaves digits as they are.
 */
export function twinString(s: string, kind: number): string {
  if (kind === URL_SAFE) return s.replace(/[+/]/g, (c) => (c === "+" ? "-" : "_"));
  let out = "";
  let from = 0;
  for (let i = s.indexOf("%"); i >= 0 && i + 2 < s.length; i = s.indexOf("%", i + 3)) {
    out += s.slice(from, i + 1) + String.fromCharCode(s.charCodeAt(i + 1) | 0x20, s.charCodeAt(i + 2) | 0x20);
    from = i + 3;
  }
  return out + s.slice(from);
}

/** Turns the low bytes of `s`, `bytes[from, to)`, into those of its twin (see twinString). */
export function twinBytes(bytes: Uint8Array, from: number, to: number, kind: number): void {
  if (kind === URL_SAFE) {
    for (let i = from; i < to; i++) {
      if (bytes[i] === 0x2b) bytes[i] = 0x2d;
      else if (bytes[i] === 0x2f) bytes[i] = 0x5f;
    }
    return;
  }
  for (let i = from; i + 2 < to; i++) {
    if (bytes[i] !== 0x25) continue;
    bytes[i + 1]! |= 0x20;
    bytes[i + 2]! |= 0x20;
    i += 2;
  }
}

/**
 * The text forms of a value: strings, and strings whose twin (`kinds[i]`, see twins.ts) is a form too,
 * each listed once.
 */
export interface Texts {
  forms: string[];
  twinned: string[];
  kinds: TwinKind[];
}

export function includesTwin(texts: Texts, form: string, kind: TwinKind): boolean {
  for (let i = 0; i < texts.twinned.length; i++) {
    if (texts.twinned[i] === form && texts.kinds[i] === kind) return true;
  }
  return false;
}

export function pushTwin(texts: Texts, form: string, kind: TwinKind): void {
  if (includesTwin(texts, form, kind)) return;
  texts.twinned.push(form);
  texts.kinds.push(kind);
}

/** Adds the forms of at least `minLength` characters to forms.ts's table, the twins marked. */
export function addTexts(
  table: { patterns: string[]; tails: (readonly string[] | null)[]; twins?: number[] },
  texts: Texts,
  minLength: number,
): void {
  const { forms, twinned, kinds } = texts;
  for (let i = 0; i < forms.length; i++) {
    if (forms[i]!.length < minLength) continue;
    table.patterns.push(forms[i]!);
    table.tails.push(null);
  }
  for (let i = 0; i < twinned.length; i++) {
    if (twinned[i]!.length < minLength) continue;
    table.twins!.push(4 * table.patterns.length + kinds[i]!);
    table.patterns.push(twinned[i]!);
    table.tails.push(null);
  }
}

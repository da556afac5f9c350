import type { Redactor } from "./redactor.js";

/**
 * Redacts every string of a JSON-like value, object keys included, into a fresh copy: arrays stay arrays,
 * any other object becomes a plain object of its own enumerable string keys (defined, not assigned, so a
 * key such as `__proto__` stays an ordinary property). Other values are returned as they are, numbers too
 * unless `options.numbers` says otherwise. Two keys
 * that redact to the same text keep the later value. A value met twice (or a cycle) maps to one copy.
 */
export interface RedactDeepOptions {
  /** A string ending with one of these was cut just before it: see `Redactor.redactCut`. */
  cutMarks?: readonly string[];
  /**
   * Numbers are data, not metadata: one whose JSON text holds a value becomes that text, redacted. Off for
   * records whose numbers are their own (a duration must stay a number).
   */
  numbers?: boolean;
}

export function redactDeep<T>(redactor: Redactor, value: T, options: RedactDeepOptions = {}): T {
  const cutMarks = options.cutMarks ?? [];
  const numbers = options.numbers === true;
  const copies = new Map<object, unknown>();
  const redactString = (s: string): string => {
    for (const mark of cutMarks) {
      // Cut just before the mark: redacted, then the cut end dropped where it could begin a value.
      if (s.endsWith(mark)) return redactor.redactCut(s.slice(0, s.length - mark.length)) + mark;
    }
    return redactor.redact(s);
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactString(v);
    if (typeof v === "number" && numbers) {
      // A number holding a value (a PIN stored as a number) leaves as its JSON text, redacted.
      const text = JSON.stringify(v);
      const redacted = text.length < 4 ? text : redactor.redact(text);
      return redacted === text ? v : redacted;
    }
    if (v === null || typeof v !== "object") return v;
    const known = copies.get(v);
    if (known !== undefined) return known;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      copies.set(v, out);
      for (let i = 0; i < v.length; i++) out.push(walk(v[i]));
      return out;
    }
    const out: Record<string, unknown> = {};
    copies.set(v, out);
    for (const key of Object.keys(v)) {
      const copy = walk((v as Record<string, unknown>)[key]);
      const name = redactor.redact(key);
      // Only `__proto__` has a setter on a plain object; defining every key was half the cost of a run
      // log entry's redaction.
      if (name !== "__proto__") out[name] = copy;
      else
        Object.defineProperty(out, name, {
          value: copy,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return out;
  };
  return walk(value) as T;
}

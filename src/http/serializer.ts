/**
 * Answers serialized by their response schema, in one pass: the JSON text of what the schema lets
 * through, checked as zod would check it (decision 0221: a key the schema does not name never leaves, a
 * value of the wrong type or outside an enum is refused, never converted). A response is compiled once
 * per schema into nested functions, one per schema node, so an answer costs a walk of its own fields
 * rather than zod's parse into a new object and then JSON.stringify of that object (decision 0280).
 *
 * Compiled: objects (zod's default, which strips unknown keys), strings, numbers (plain or int),
 * booleans, enums, literals, null, arrays, nullable, optional and unknown. Any other node (a union, a
 * refinement, a string format, a strict object...) is serialized as zod parses it: `safeParse`, then
 * JSON.stringify of what it answers. So the text is always JSON.stringify(schema.parse(body)), only
 * sooner; `serializer.test.ts` holds the two side by side.
 */
import type { z } from "zod";

/** The JSON text of `value` as the schema allows it; `undefined` when the schema refuses it. */
export type Serialize = (value: unknown) => string | undefined;

/** What a node answers: JSON text, OMIT (an absent value: no key, or `null` in an array), or REFUSED. */
type Node = (value: unknown) => string | typeof OMIT | typeof REFUSED;

const OMIT = Symbol("omit");
const REFUSED = Symbol("refused");

const compiled = new WeakMap<z.ZodType, Serialize>();

/** The schema's serializer, compiled on first use. */
export function serializerFor(schema: z.ZodType): Serialize {
  let serialize = compiled.get(schema);
  if (!serialize) {
    const node = compile(schema);
    serialize = (value) => {
      const text = node(value);
      return typeof text === "string" ? text : undefined;
    };
    compiled.set(schema, serialize);
  }
  return serialize;
}

interface Def {
  type: string;
  checks?: { _zod: { def: { check: string; format?: string } } }[];
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

function compile(schema: z.ZodType): Node {
  const def = defOf(schema);
  const checks = def.checks ?? [];
  switch (def.type) {
    case "string":
      if (checks.length === 0) return (v) => (typeof v === "string" ? quote(v) : REFUSED);
      break;
    case "number": {
      const safeInt = checks.length === 1 && checks[0]!._zod.def.format === "safeint";
      if (checks.length === 0 || safeInt) {
        return (v) =>
          typeof v === "number" && Number.isFinite(v) && (!safeInt || Number.isSafeInteger(v))
            ? JSON.stringify(v)
            : REFUSED;
      }
      break;
    }
    case "boolean":
      if (checks.length === 0) return (v) => (v === true ? "true" : v === false ? "false" : REFUSED);
      break;
    case "null":
      return (v) => (v === null ? "null" : REFUSED);
    case "unknown":
    case "any":
      return (v) => JSON.stringify(v) ?? OMIT;
    case "enum":
    case "literal": {
      // The set zod itself checks against.
      const values = (schema as unknown as { _zod: { values?: Set<unknown> } })._zod.values;
      if (checks.length === 0 && values) return oneOf(values);
      break;
    }
    case "nullable": {
      const inner = compile(def.innerType!);
      return (v) => (v === null ? "null" : inner(v));
    }
    case "optional": {
      const inner = compile(def.innerType!);
      return (v) => (v === undefined ? OMIT : inner(v));
    }
    case "array":
      if (checks.length === 0) return arrayOf(compile(def.element!));
      break;
    case "object":
      if (checks.length === 0 && def.catchall === undefined) return objectOf(schema, def.shape ?? {});
      break;
  }
  return asZodParses(schema);
}

/**
 * JSON.stringify of a string. Most strings of an answer (names, times, ids) are short and need no
 * escaping, and a scan of their characters is cheaper than a call into JSON.stringify.
 */
function quote(s: string): string {
  if (s.length > 64) return JSON.stringify(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A control character, `"`, `\\`, or half of a surrogate pair: JSON.stringify decides.
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

function oneOf(allowed: Set<unknown>): Node {
  return (v) => (allowed.has(v) ? JSON.stringify(v) : REFUSED);
}

function arrayOf(element: Node): Node {
  return (v) => {
    if (!Array.isArray(v)) return REFUSED;
    let out = "[";
    for (let i = 0; i < v.length; i++) {
      const text = element(v[i]);
      if (text === REFUSED) return REFUSED;
      out += (i === 0 ? "" : ",") + (text === OMIT ? "null" : text);
    }
    return `${out}]`;
  };
}

/**
 * Keys in the schema's order, as zod's parse answers them. A key that is absent from the body (not only
 * undefined) is left out when its schema is optional; any other absent key (a default, a required field)
 * is zod's to decide, so the whole object goes through zod then.
 */
function objectOf(schema: z.ZodType, shape: Record<string, z.ZodType>): Node {
  if (Object.hasOwn(shape, "__proto__")) return asZodParses(schema);
  const byZod = asZodParses(schema);
  const fields = Object.entries(shape).map(([key, field]) => {
    const io = (field as unknown as { _zod: { optin?: string; optout?: string } })._zod;
    return {
      prefix: `${JSON.stringify(key)}:`,
      key,
      node: compile(field),
      omittable: io.optin === "optional" && io.optout === "optional",
    };
  });
  return (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return REFUSED;
    const record = v as Record<string, unknown>;
    let out = "";
    for (const field of fields) {
      if (!(field.key in record)) {
        if (field.omittable) continue;
        return byZod(v);
      }
      const text = field.node(record[field.key]);
      if (text === REFUSED) return REFUSED;
      if (text !== OMIT) out += (out === "" ? "" : ",") + field.prefix + text;
    }
    return `{${out}}`;
  };
}

/** A node this file does not compile: zod parses it, and its answer is serialized as JSON.stringify would. */
function asZodParses(schema: z.ZodType): Node {
  return (v) => {
    const result = schema.safeParse(v);
    if (!result.success) return REFUSED;
    return JSON.stringify(result.data) ?? OMIT;
  };
}

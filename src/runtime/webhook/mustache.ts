/**
 * Mustache, made safe for user templates: a bounded parse cache, lookups of own properties only, and a
 * budget of steps and characters per request. template.ts renders a request's fields through this.
 */
import Mustache from "mustache";
import { RenderError } from "./errors.js";

/**
 * Per request. Sections over event arrays multiply: three nested sections over a 1 000-item array would
 * take 10^9 steps on the event loop, and each step may insert all of `event.data`. The budget ends such a
 * render early instead.
 */
export const MAX_RENDER_STEPS = 100_000;
export const MAX_RENDERED_CHARS = 4 * 1024 * 1024;

export type Escape = (text: string) => string;

export const asIs: Escape = (text) => text;
export const percentEncode: Escape = (text) => encodeURIComponent(toWellFormed(text));
export const jsonStringEscape: Escape = (text) => JSON.stringify(text).slice(1, -1);

/** encodeURIComponent throws on a lone surrogate; a user's data must not be able to crash a run that way. */
function toWellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

export type Token = [type: string, value: string, start: number, end: number, children?: Token[]];

/**
 * Mustache's own cache is an unbounded plain object keyed by template text: user templates would grow it
 * forever. This one keeps the most recently used parses within a count and a character budget.
 */
class BoundedTemplateCache {
  private readonly entries = new Map<string, unknown>();
  private chars = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  get(key: string): unknown {
    const tokens = this.entries.get(key);
    if (tokens !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, tokens);
    }
    return tokens;
  }

  set(key: string, tokens: unknown): void {
    if (key.length * 8 > this.maxChars || this.entries.has(key)) return;
    this.entries.set(key, tokens);
    this.chars += key.length;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= oldest.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }
}

/**
 * Lookups follow own properties only and never call what they find, so no template reaches a prototype
 * (`{{constructor}}`, `{{#x}}{{constructor.name}}{{/x}}` on a string) whatever the view holds. The views
 * are null-prototype copies as well; either measure alone would do, both make a slip in one harmless.
 */
export class ViewContext extends Mustache.Context {
  override push(view: unknown): Mustache.Context {
    return new ViewContext(view, this);
  }

  override lookup(name: string): unknown {
    if (name === ".") return this.view;
    const path = name.split(".");
    for (let context: Mustache.Context | undefined = this; context; context = context.parent) {
      let value: unknown = context.view;
      let found = true;
      for (const key of path) {
        if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) {
          found = false;
          break;
        }
        value = (value as Record<string, unknown>)[key];
      }
      if (found) return value;
    }
    return undefined;
  }
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** What one request's render may still spend; shared by its fields, carried in Mustache's config. */
export interface Budget {
  field: string;
  steps: number;
  chars: number;
}

type RenderConfig = Mustache.RenderOptions & { budget: Budget };

class WebhookWriter extends Mustache.Writer {
  // Declared, not defined: a class field would reset the cache Writer's constructor sets.
  declare templateCache: BoundedTemplateCache;

  /**
   * Mustache's loop, with the budget counted on every token and every piece of output; a section's result
   * is not counted again, its pieces were. Partials are never rendered (no partials are ever passed).
   */
  override renderTokens(
    tokens: string[][],
    context: Mustache.Context,
    partials?: Mustache.PartialsOrLookupFn,
    originalTemplate?: string,
    config?: Mustache.RenderOptions,
  ): string {
    const { budget } = config as RenderConfig;
    let buffer = "";
    for (const token of tokens) {
      if (--budget.steps < 0) {
        throw new RenderError("template_error", budget.field, `takes more than ${MAX_RENDER_STEPS} steps`);
      }
      const type = token[0];
      let piece: string | undefined;
      if (type === "#") {
        buffer += this.renderSection(token, context, partials, originalTemplate, config) ?? "";
      } else if (type === "^") {
        buffer += this.renderInverted(token, context, partials, originalTemplate, config) ?? "";
      } else if (type === "&") {
        piece = this.unescapedValue(token, context);
      } else if (type === "name") {
        piece = this.escapedValue(token, context, config);
      } else if (type === "text") {
        piece = token[1];
      }
      if (piece !== undefined) {
        budget.chars -= piece.length;
        if (budget.chars < 0) {
          throw new RenderError(
            "template_error",
            budget.field,
            `renders more than ${MAX_RENDERED_CHARS} characters`,
          );
        }
        buffer += piece;
      }
    }
    return buffer;
  }

  // An object becomes JSON text, not "[object Object]"; the escape comes from the render's own config.
  override escapedValue(token: string[], context: Mustache.Context, config?: Mustache.RenderOptions): string {
    const escapeFor = config?.escape ?? asIs;
    return escapeFor(toText(context.lookup(token[1] ?? "")));
  }

  override unescapedValue(token: string[], context: Mustache.Context): string {
    return toText(context.lookup(token[1] ?? ""));
  }
}

// A pure memo of parses, bounded: the only module state, invisible to callers.
const writer = new WebhookWriter();
writer.templateCache = new BoundedTemplateCache(512, 1 << 20);

/** Parses without a field to blame: validation reports Mustache's own message. */
export function parseRaw(template: string): Token[] {
  return writer.parse(template) as Token[];
}

/** For tests: the parse cache's entry count. */
export const templateCacheSize = (): number => writer.templateCache.size;

export function parse(field: string, template: string): Token[] {
  try {
    return writer.parse(template) as Token[];
  } catch (err) {
    // Mustache's parse errors name a position or a section name from the template, never view data.
    throw new RenderError("template_error", field, err instanceof Error ? err.message : "does not parse");
  }
}

export function render(field: string, template: string, context: RenderContext, escapeFor: Escape): string {
  const tokens = parse(field, template);
  context.budget.field = field;
  const config: RenderConfig = { escape: escapeFor, budget: context.budget };
  try {
    return writer.renderTokens(tokens as unknown as string[][], context.view, undefined, template, config);
  } catch (err) {
    if (err instanceof RenderError) throw err;
    throw new RenderError("template_error", field, "could not be rendered");
  }
}

export interface RenderContext {
  view: ViewContext;
  budget: Budget;
}

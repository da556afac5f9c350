/**
 * Redaction of a run-log entry (X6) before it leaves the executor: with every live secret of the scope
 * plus what the run resolved, then cut to the entry's size bounds. A match of a value the run did not
 * declare is recorded and flagged on the entry.
 */
import type { Consumer } from "../../consumers/schema.js";
import { createRedactor, type Redactor, redactDeep } from "../../redaction/index.js";
import { type SecretResolver, type SecretValue, sensitiveStrings } from "../../secrets/types.js";
import { redactSteps } from "../flows/redact-steps.js";
import { TRUNCATION_MARK } from "../sandbox/index.js";
import { TRUNCATION_NOTE } from "../webhook/index.js";
import { capEntry } from "./caps.js";
import type { RedactorCache } from "./redactors.js";
import type { RunLogEntry } from "./schema.js";

const DECLARED_REDACTORS_MAX = 1000;

/** The marks that end a text the runtime cut short (sandbox console and messages, webhook response body). */
const CUT_MARKS = [TRUNCATION_MARK, TRUNCATION_NOTE] as const;

export interface EntryRedactionDeps {
  secrets: Pick<SecretResolver, "redactionValues"> & Partial<Pick<SecretResolver, "recordUndeclaredMatch">>;
  redactors: RedactorCache;
}

/** Where a run's secrets live: all redaction needs of its consumer. */
export type RunScope = Pick<Consumer, "orgId" | "projectId">;

/** Redacts (X6), then cuts to the entry's size bounds: in that order, so a cut never splits a value. */
export type RedactEntry = (
  consumer: RunScope,
  entry: RunLogEntry,
  values: Record<string, SecretValue>,
) => Promise<RunLogEntry>;

export function createEntryRedaction(deps: EntryRedactionDeps): RedactEntry {
  const sensitive = createSensitiveStrings();
  const declaredRedactor = createDeclaredRedactors();

  /**
   * Redacts with every live secret of the scope plus what this run resolved (X6). Text cut short (a console
   * line or message past its cap, a response body past maxResponseBytes) is redacted, then its cut end is
   * dropped where it could begin a value, so a cut never shows a value's prefix.
   */
  async function redactOnly(consumer: RunScope, entry: RunLogEntry, values: Record<string, SecretValue>) {
    const resolved = Object.values(values).flatMap(sensitive);
    let scopeValues: string[];
    try {
      scopeValues = await deps.secrets.redactionValues({
        orgId: consumer.orgId,
        projectId: consumer.projectId,
      });
    } catch {
      return redactDeep(deps.redactors.get([], resolved), outcomeOnly(entry), { cutMarks: CUT_MARKS });
    }
    const redactor = deps.redactors.get(scopeValues, resolved);
    const changed: [text: string, redacted: string][] = [];
    const redacted = redactNoting(redactor, entry, changed);
    if (changed.length === 0 || !deps.secrets.recordUndeclaredMatch) return redacted;
    const declared = new Set(resolved);
    const own = resolved.length > 0 ? declaredRedactor(resolved) : null;
    const undeclared = new Set<string>();
    for (const [text, out] of changed) {
      // The usual case, a run showing its own secrets (an Authorization header), costs one small scan.
      if (own !== null && own.redact(text) === out) continue;
      for (const value of redactor.matchedValues(text)) if (!declared.has(value)) undeclared.add(value);
    }
    if (undeclared.size === 0) return redacted;
    return flagUndeclared(consumer, entry, redacted, [...undeclared]);
  }

  /** Records which secrets the run showed without declaring them, and warns on the entry. */
  async function flagUndeclared(
    consumer: RunScope,
    entry: RunLogEntry,
    redacted: RunLogEntry,
    undeclared: string[],
  ): Promise<RunLogEntry> {
    let names: string[] | null;
    try {
      names =
        (await deps.secrets.recordUndeclaredMatch?.(
          { orgId: consumer.orgId, projectId: consumer.projectId },
          undeclared,
          { consumer: redacted.consumer, eventId: entry.event.id, entryId: entry.id },
        )) ?? null;
    } catch {
      // The run is still flagged; which secrets it held could not be recorded.
      names = null;
    }
    if (names?.length === 0) return redacted;
    const warning = { code: "undeclared_secret_matched", ...(names ? { secrets: names } : {}) };
    return { ...redacted, warnings: [...(redacted.warnings ?? []), warning] };
  }

  return async (consumer, entry, values) => capEntry(await redactOnly(consumer, entry, values));
}

/**
 * Without the scope's full list of values nothing but the outcome may be kept: the details could hold any
 * live value. What is kept is still redacted with what the run resolved (an event name can hold one).
 */
function outcomeOnly(entry: RunLogEntry): RunLogEntry {
  return {
    id: entry.id,
    consumer: entry.consumer,
    event: { ...entry.event, data: null },
    status: entry.status,
    startedAt: entry.startedAt,
    durationMs: entry.durationMs,
    attempts: entry.attempts,
    error: {
      code: entry.error?.code ?? "redaction_unavailable",
      message: "the run's details were dropped: the secrets to redact them with could not be read",
    },
  };
}

/**
 * Redacts `entry`, noting every string the redactor changed (an identity check per string), so only they
 * are scanned again to learn whose values they held.
 */
function redactNoting(redactor: Redactor, entry: RunLogEntry, changed: [string, string][]): RunLogEntry {
  const noting: Redactor = {
    ...redactor,
    redact(text) {
      const out = redactor.redact(text);
      if (out !== text) changed.push([text, out]);
      return out;
    },
    redactCut(text) {
      const out = redactor.redactCut(text);
      if (out !== text) changed.push([text, out]);
      return out;
    },
  };
  // The output and the event's data are the user's JSON, where a number can be a value (a PIN); the
  // entry's own numbers (duration, attempts, status) are not, and must stay numbers. Each part is walked
  // once: the rest of the entry without those two, then those two with numbers.
  const { output, steps, ...rest } = entry;
  const redacted: RunLogEntry = redactDeep(
    noting,
    { ...rest, event: { ...entry.event, data: null } },
    { cutMarks: CUT_MARKS },
  );
  redacted.event.data = redactDeep(noting, entry.event.data, { numbers: true });
  if (output !== undefined) redacted.output = redactDeep(noting, output, { numbers: true });
  if (steps !== undefined) redacted.steps = redactSteps(noting, steps, CUT_MARKS);
  return redacted;
}

/** Decrypted values are cached objects, the same from run to run: their strings are listed once. */
function createSensitiveStrings(): (value: SecretValue) => string[] {
  const stringsOf = new WeakMap<object, string[]>();
  return (value) => {
    if (typeof value !== "object" || value === null) return sensitiveStrings(value);
    let strings = stringsOf.get(value);
    if (strings === undefined) {
      strings = sensitiveStrings(value);
      stringsOf.set(value, strings);
    }
    return strings;
  };
}

/**
 * A redactor of a run's declared values alone, to tell a run showing its own secrets from one showing
 * others'. Few distinct sets exist (one per consumer and version), so they are kept, boundedly.
 */
function createDeclaredRedactors(): (values: string[]) => Redactor {
  const declaredRedactors = new Map<string, Redactor>();
  return (values) => {
    const key = values.join("\u0000");
    let r = declaredRedactors.get(key);
    if (r === undefined) {
      if (declaredRedactors.size >= DECLARED_REDACTORS_MAX) {
        declaredRedactors.delete(declaredRedactors.keys().next().value as string);
      }
      r = createRedactor(values);
      declaredRedactors.set(key, r);
    }
    return r;
  };
}

/**
 * The `event.data` keys a project's recent events carried, for the Macro Manager (SPEC X5): paths of
 * object keys (not array items), as Mustache can name them. Keys only, never a value; a key that holds a
 * secret's value (the redactor changes it) is left out with everything below it.
 */
import { sql } from "kysely";
import type { Tx } from "../../store/db.js";

export const RECENT_EVENTS = 50;
export const KEYS_MAX = 100;
const DEPTH_MAX = 3;
const DATA_BYTES_MAX = 64 * 1024;
/** What a Mustache path segment can be: no dots, no spaces, no braces. */
const KEY = /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/;

/** The `data` of the project's newest events, as stored (JSON text). */
export async function recentEventData(db: Tx, projectId: string, limit = RECENT_EVENTS): Promise<string[]> {
  const rows = await db
    .selectFrom("events")
    .select("data")
    .where("project_id", "=", projectId)
    // A huge event would cost a parse of its own for a few key names: left out.
    .where(sql<number>`length(data)`, "<=", DATA_BYTES_MAX)
    .orderBy("published_at", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => r.data);
}

/** Sorted `event.data.*` paths of the given data, at most KEYS_MAX; `hidden(key)` drops a key. */
export function eventDataPaths(data: readonly string[], hidden: (key: string) => boolean): string[] {
  const paths = new Set<string>();
  const walk = (value: unknown, prefix: string, depth: number): void => {
    if (value === null || typeof value !== "object" || Array.isArray(value) || depth >= DEPTH_MAX) return;
    for (const key of Object.keys(value)) {
      if (paths.size >= KEYS_MAX) return;
      if (!KEY.test(key) || hidden(key)) continue;
      const path = `${prefix}.${key}`;
      paths.add(path);
      walk((value as Record<string, unknown>)[key], path, depth + 1);
    }
  };
  for (const text of data) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue;
    }
    walk(parsed, "event.data", 0);
  }
  return [...paths].sort();
}

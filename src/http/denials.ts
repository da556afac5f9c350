/**
 * Requests refused before anyone is known (no or a bad token, over a rate limit) are audited (A1) without
 * letting a flood write one row each (decision 0123). The first refusal from a source is written at once,
 * as it always was; the ones after it, within the same window, are counted, and at the end of the window
 * one entry records how many there were, per route. A source that stays quiet for a window starts afresh.
 * Sources are IPv4 addresses or IPv6 /64 prefixes (one host usually holds a whole /64), and a cap on the
 * number of first entries per window keeps an attacker with many addresses to a bounded write rate too.
 */
import { isIPv6 } from "node:net";
import type { AuditAction } from "../audit/actions.js";
import type { RequestContext } from "../auth/types.js";

export interface DenialEntry {
  orgId: null;
  actor: RequestContext["actor"];
  action: AuditAction;
  outcome: "denied";
  sourceIp: string;
  details: Record<string, unknown>;
}

export interface DenialRecorderDeps {
  /** Writes one audit entry in a transaction of its own (AuditLog.appendNow). */
  append(entry: DenialEntry): Promise<void>;
  windowMs?: number;
  /** First entries written at once per window, over all sources; the rest are counted under "*". */
  maxSourcesPerWindow?: number;
  now?: () => number;
  /** Where a failed summary write is reported (the request it summarises has long been answered). */
  onError?: (error: unknown) => void;
}

/** A refused request: the route ("POST /v1/auth/login") and the action it is recorded under. */
export interface DeniedRequest {
  /** The route's own action (sign-in: "auth.login"), else "request.denied". */
  action: AuditAction;
  route: string;
}

export interface DenialRecorder {
  record(ctx: RequestContext, request: DeniedRequest, reason: string): Promise<void>;
  /** Writes the summaries of every open window (on shutdown, and by tests). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Window {
  start: number;
  end: number;
  count: number;
  sourceIp: string;
  reasons: Map<string, number>;
  routes: Map<string, number>;
}

export const DENIAL_WINDOW_MS = 60_000;
const MAX_ROUTES_LISTED = 20;

/** The key a source is counted under: the address, or for IPv6 its /64. */
export function sourceKey(ip: string): string {
  if (!isIPv6(ip) || ip.startsWith("::ffff:")) return ip;
  const [head = "", tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, "").toLowerCase())
    .join(":")}::/64`;
}

export function createDenialRecorder(deps: DenialRecorderDeps): DenialRecorder {
  const windowMs = deps.windowMs ?? DENIAL_WINDOW_MS;
  const maxSources = deps.maxSourcesPerWindow ?? 1000;
  const now = deps.now ?? Date.now;
  const windows = new Map<string, Window>();
  let firstsThisWindow = { start: 0, count: 0 };

  const summary = (key: string, w: Window): DenialEntry => ({
    orgId: null,
    actor: null,
    action: "requests.denied",
    outcome: "denied",
    sourceIp: key === "*" ? w.sourceIp : key,
    details: {
      count: w.count,
      from: new Date(w.start).toISOString(),
      to: new Date(Math.min(now(), w.end)).toISOString(),
      reasons: Object.fromEntries(w.reasons),
      routes: Object.fromEntries([...w.routes].sort((a, b) => b[1] - a[1]).slice(0, MAX_ROUTES_LISTED)),
      ...(key === "*" ? { sources: "many (over the per-window cap)" } : {}),
    },
  });

  /** Closes the windows that ended (all of them with `all`): summaries for those that counted anything. */
  async function sweep(all: boolean): Promise<void> {
    const at = now();
    const due: DenialEntry[] = [];
    for (const [key, w] of windows) {
      if (!all && w.end > at) continue;
      if (w.count > 0) {
        due.push(summary(key, w));
        // Still busy: the next window counts on, without another "first" entry.
        if (!all) windows.set(key, newWindow(at, w.sourceIp));
        else windows.delete(key);
      } else windows.delete(key);
    }
    for (const entry of due) {
      try {
        await deps.append(entry);
      } catch (error) {
        deps.onError?.(error);
      }
    }
  }

  const newWindow = (at: number, sourceIp: string): Window => ({
    start: at,
    end: at + windowMs,
    count: 0,
    sourceIp,
    reasons: new Map(),
    routes: new Map(),
  });

  const timer = setInterval(() => void sweep(false), Math.max(100, Math.floor(windowMs / 4)));
  timer.unref();

  return {
    async record(ctx, request, reason) {
      const at = now();
      let key = sourceKey(ctx.sourceIp);
      let w = windows.get(key);
      if (w && w.end <= at) {
        // A window that ended between sweeps: summarise it now, so the order of entries stays true.
        await sweep(false);
        w = windows.get(key);
      }
      if (!w) {
        if (at - firstsThisWindow.start >= windowMs) firstsThisWindow = { start: at, count: 0 };
        if (firstsThisWindow.count < maxSources) {
          firstsThisWindow.count += 1;
          windows.set(key, newWindow(at, ctx.sourceIp));
          await deps.append({
            orgId: null,
            actor: ctx.actor,
            action: request.action,
            outcome: "denied",
            sourceIp: ctx.sourceIp,
            details: { reason, route: request.route },
          });
          return;
        }
        key = "*";
        w = windows.get(key);
        if (!w) {
          w = newWindow(at, ctx.sourceIp);
          windows.set(key, w);
        }
      }
      w.count += 1;
      w.reasons.set(reason, (w.reasons.get(reason) ?? 0) + 1);
      const route = request.route;
      if (w.routes.has(route) || w.routes.size < MAX_ROUTES_LISTED * 5) {
        w.routes.set(route, (w.routes.get(route) ?? 0) + 1);
      }
    },
    flush: () => sweep(true),
    async close() {
      clearInterval(timer);
      await sweep(true);
    },
  };
}

/** Retry timing of failed deliveries (X1). Pure, so tests drive it without waiting. */

export interface BackoffPolicy {
  /** Delay before the second attempt; each later one doubles it. */
  baseMs: number;
  /** No wait exceeds this, whatever the attempt or the target's Retry-After. */
  maxMs: number;
}

/**
 * Delay before the attempt after `attempt` (1-based): exponential with ±20% jitter, so runs that failed
 * together do not come back together. A target's Retry-After is honoured when it asks for longer.
 */
export function retryDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  options: { retryAfterMs?: number | undefined; random?: () => number } = {},
): number {
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jittered = exponential * (0.8 + 0.4 * random());
  const wanted = Math.max(jittered, options.retryAfterMs ?? 0);
  return Math.round(Math.min(policy.maxMs, wanted));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Per-organization rate limit of what starts runs on demand: publishing events and manual runs (`/test`,
 * `/run`). Each run's log is a redaction of caller-chosen data, so unlimited runs make the redactor an
 * oracle a caller can query at will (guess a value, see whether it comes back as [[SENSITIVE]]). A token
 * bucket per organization and node: `perMinute` requests at once, refilled at `perMinute` a minute.
 */
export interface OrgRateLimit {
  /** Takes one request of the organization's budget; false when it is spent. */
  take(orgId: string): boolean;
}

const MAX_TRACKED = 100_000;

export function createOrgRateLimit(perMinute: number, now: () => number = Date.now): OrgRateLimit {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  return {
    take(orgId) {
      if (perMinute <= 0) return true;
      const t = now();
      let bucket = buckets.get(orgId);
      if (!bucket) {
        // Full buckets carry no information: forgetting the oldest is safe.
        if (buckets.size >= MAX_TRACKED) buckets.delete(buckets.keys().next().value as string);
        bucket = { tokens: perMinute, at: t };
        buckets.set(orgId, bucket);
      }
      bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}

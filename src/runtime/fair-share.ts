/**
 * Sharing a fixed number of slots (sandbox threads, a worker's run slots) fairly between organizations.
 * See docs/decisions/0140-tenant-fairness.md.
 *
 * - An organization alone gets `perTenant` slots: what the node gave everybody before fairness existed,
 *   so a single tenant's throughput is unchanged.
 * - The node has `reserve` slots more than that. They keep room for another organization while one holds
 *   its whole share: when no more than `reserve` slots are free, only an organization holding fewer than
 *   its fair share (total slots / organizations holding or waiting, rounded up) may start.
 * - A free slot goes to the waiting organization that holds the fewest, oldest request first on a tie.
 *
 * Queueing is per organization; the structure is O(organizations) per start, which stays small next to
 * the work it schedules.
 */

export interface FairShareLimits {
  /** Slots any one tenant may hold; what a tenant alone gets. At least 1. */
  perTenant: number;
  /** Slots beyond `perTenant`, kept for tenants holding less than their fair share. At least 0. */
  reserve: number;
}

interface Tenant<T> {
  held: number;
  waiting: { seq: number; item: T }[];
}

export interface FairQueue<T> {
  /** Queues an item of `tenant`; call `next()` to see whether anything may start. */
  push(tenant: string, item: T): void;
  /** The next item allowed to start, now counted as holding a slot; undefined when none may. */
  next(): { tenant: string; item: T } | undefined;
  /** A slot of `tenant` is free again. */
  release(tenant: string): void;
  /** Removes and returns every waiting item (shutdown). */
  drain(): T[];
  /** Slots held in all. */
  readonly busy: number;
  /** Items waiting in all. */
  readonly waiting: number;
  /** Slots `tenant` holds. */
  heldBy(tenant: string): number;
}

export function fairShareTotal(limits: FairShareLimits): number {
  return limits.perTenant + limits.reserve;
}

/**
 * Whether `tenant`, holding `held` slots, may take one more when `busy` slots are taken by `active`
 * tenants (holding or waiting, itself included).
 */
export function mayStart(limits: FairShareLimits, busy: number, held: number, active: number): boolean {
  const total = fairShareTotal(limits);
  if (busy >= total || held >= limits.perTenant) return false;
  if (total - busy > limits.reserve) return true;
  return held < Math.ceil(total / Math.max(1, active));
}

export function createFairQueue<T>(limits: FairShareLimits): FairQueue<T> {
  if (!Number.isInteger(limits.perTenant) || limits.perTenant < 1) {
    throw new RangeError("perTenant must be a positive integer");
  }
  if (!Number.isInteger(limits.reserve) || limits.reserve < 0) {
    throw new RangeError("reserve must be a non-negative integer");
  }
  const tenants = new Map<string, Tenant<T>>();
  let busy = 0;
  let waiting = 0;
  let seq = 0;

  const tenantOf = (name: string): Tenant<T> => {
    let t = tenants.get(name);
    if (!t) {
      t = { held: 0, waiting: [] };
      tenants.set(name, t);
    }
    return t;
  };
  const forget = (name: string, t: Tenant<T>) => {
    if (t.held === 0 && t.waiting.length === 0) tenants.delete(name);
  };

  return {
    push(tenant, item) {
      tenantOf(tenant).waiting.push({ seq: seq++, item });
      waiting += 1;
    },
    next() {
      if (waiting === 0) return undefined;
      let best: [string, Tenant<T>] | undefined;
      for (const entry of tenants) {
        const t = entry[1];
        const head = t.waiting[0];
        if (!head || !mayStart(limits, busy, t.held, tenants.size)) continue;
        const b = best?.[1];
        if (!b || t.held < b.held || (t.held === b.held && head.seq < (b.waiting[0]?.seq ?? 0))) best = entry;
      }
      if (!best) return undefined;
      const [name, t] = best;
      const head = t.waiting.shift()!;
      waiting -= 1;
      t.held += 1;
      busy += 1;
      return { tenant: name, item: head.item };
    },
    release(tenant) {
      const t = tenants.get(tenant);
      if (!t || t.held === 0) return;
      t.held -= 1;
      busy -= 1;
      forget(tenant, t);
    },
    drain() {
      const items: T[] = [];
      for (const [name, t] of tenants) {
        for (const w of t.waiting.splice(0)) items.push(w.item);
        forget(name, t);
      }
      waiting = 0;
      return items;
    },
    get busy() {
      return busy;
    },
    get waiting() {
      return waiting;
    },
    heldBy(tenant) {
      return tenants.get(tenant)?.held ?? 0;
    },
  };
}

/**
 * How a node's run worker shares itself between organizations (decision 0140). Two layers:
 *
 * - **Holding** (the claim). One organization may hold at most `2 × concurrency` runs, what the whole
 *   worker held before; the worker holds up to `2 × (concurrency + reserve)`, so a flood of one
 *   organization always leaves room to claim another's. The claim takes runs in turns by organization
 *   (the organization holding fewest first, then due order), never past an organization's share.
 * - **Executing** (the slots). At most `concurrency` runs of one organization execute at once, out of
 *   `concurrency + reserve`; a free slot goes to the organization executing fewest (`fair-share.ts`).
 *
 * An organization alone therefore gets exactly what the worker gave everybody before.
 */
import { createFairQueue, type FairQueue, type FairShareLimits } from "../fair-share.js";
import type { RunnerOptions } from "./options.js";
import type { ClaimShares } from "./store.js";

/** Default reserve: a quarter of the run slots more, at least one. */
export function runReserve(options: Pick<RunnerOptions, "concurrency" | "reserve">): number {
  return options.reserve ?? Math.max(1, Math.ceil(options.concurrency / 4));
}

export function executionLimits(options: Pick<RunnerOptions, "concurrency" | "reserve">): FairShareLimits {
  return { perTenant: Math.max(1, options.concurrency), reserve: runReserve(options) };
}

/** Execution slots shared by organization. */
export function createRunSlots<T>(options: Pick<RunnerOptions, "concurrency" | "reserve">): FairQueue<T> {
  return createFairQueue<T>(executionLimits(options));
}

export interface HeldRuns {
  /** Runs the worker may hold in all. */
  readonly total: number;
  /** Runs one organization may hold. */
  readonly perOrg: number;
  /** The worker took a run of `org`. */
  add(org: string): void;
  /** A run of `org` left the worker. */
  remove(org: string): void;
  /**
   * Whether an organization whose last claim stopped at its share now has room for at least `lowWater`
   * runs, not counting `finishing` (runs about to end in the same transaction as the claim).
   */
  refillDue(lowWater: number, finishing?: readonly { org_id: string }[]): boolean;
  /**
   * Whether new runs of `org` are worth a claim now. Not when `org` has room for fewer than `lowWater`
   * more: it is then marked, and claimed once enough of its runs end (`refillDue`), in the same sizes as
   * before fairness.
   */
  wakeClaims(org: string, lowWater: number): boolean;
  /** What the claim query needs; also marks the backlogged organizations below their share as served. */
  claimShares(finishing?: readonly { org_id: string }[]): ClaimShares;
}

export function createHeldRuns(options: Pick<RunnerOptions, "concurrency" | "reserve">): HeldRuns {
  const perOrg = 2 * options.concurrency;
  const total = 2 * (options.concurrency + runReserve(options));
  const held = new Map<string, number>();
  /** Organizations that reached their share: they may have more due runs than they were given. */
  const backlogged = new Set<string>();

  const countOf = (finishing: readonly { org_id: string }[]) => {
    const counts = new Map<string, number>();
    for (const run of finishing) counts.set(run.org_id, (counts.get(run.org_id) ?? 0) + 1);
    return counts;
  };

  return {
    total,
    perOrg,
    add(org) {
      const n = (held.get(org) ?? 0) + 1;
      held.set(org, n);
      if (n >= perOrg) backlogged.add(org);
    },
    remove(org) {
      const n = (held.get(org) ?? 0) - 1;
      if (n > 0) held.set(org, n);
      else held.delete(org);
    },
    refillDue(lowWater, finishing = []) {
      if (backlogged.size === 0) return false;
      const leaving = countOf(finishing);
      for (const org of backlogged) {
        if (perOrg - (held.get(org) ?? 0) + (leaving.get(org) ?? 0) >= lowWater) return true;
      }
      return false;
    },
    wakeClaims(org, lowWater) {
      if (perOrg - (held.get(org) ?? 0) >= lowWater) return true;
      backlogged.add(org);
      return false;
    },
    claimShares(finishing = []) {
      const leaving = countOf(finishing);
      const counts: Record<string, number> = {};
      for (const [org, n] of held) {
        const kept = n - (leaving.get(org) ?? 0);
        if (kept > 0) counts[org] = kept;
      }
      // Organizations below their share get their turn in this claim; those that fill it again are
      // marked again as their runs are taken.
      for (const org of backlogged) if ((counts[org] ?? 0) < perOrg) backlogged.delete(org);
      return { perOrg, held: counts };
    },
  };
}

/**
 * Events, on-demand runs and run logs (X1, SPEC API contract). Publishing commits the event and one run per
 * matching enabled consumer in one transaction, then wakes this node's worker; the integration test and the
 * logic run endpoints execute once, synchronously and without retries, and keep their entry in the log too.
 */

import type { ConsumerKind } from "../../consumers/schema.js";
import {
  type ConsumersService,
  enterProject,
  type ProjectAuth,
  type ProjectRequest,
} from "../../consumers/service.js";
import { AppError } from "../../errors.js";
import type { Store } from "../../store/db.js";
import { newId, nowIso } from "../../store/ids.js";
import type { Notifications } from "../../store/notifications.js";
import { LOG_PAGE_BYTES } from "./caps.js";
import type { Executor } from "./execute.js";
import { groupCommit } from "./group-commit.js";
import type { OrgRateLimit } from "./rate-limit.js";
import type { PublishEventInput, RunEvent, RunLogEntry, RunNowInput } from "./schema.js";
import { type EventRow, insertEvents, insertRunLog, insertRuns, listRunLogPage } from "./store.js";

export interface RunnerServiceDeps {
  store: Store;
  auth: ProjectAuth;
  consumers: Pick<ConsumersService, "load" | "matching">;
  executor: Executor;
  /** Tells the other nodes' workers of new runs at commit (D2); without it they find them at their poll. */
  notifications?: Pick<Notifications, "send">;
  /**
   * Whether this node's own worker cannot take `runs` new runs now (stopped, none, or full): only then are
   * the other nodes woken. Unset: always.
   */
  needsHelp?(runs: number): boolean;
  /** Called after an event's runs are committed. */
  onPublished(runs: number, orgId: string): void;
  onFinished?(kind: ConsumerKind, status: RunLogEntry["status"]): void;
  /** Publishing and manual runs per organization (CLOAKROOM_ORG_RUN_RATE); none when absent. */
  orgRate?: OrgRateLimit;
  /** Run-log storage per organization (RunnerOptions.logQuotaBytes). */
  logQuotaBytes?: number;
}

export interface RunnerService {
  publish(r: ProjectRequest, input: PublishEventInput): Promise<{ id: string; runs: number }>;
  runNow(r: ProjectRequest, kind: ConsumerKind, id: string, input: RunNowInput): Promise<RunLogEntry>;
  /** Stores the entry of a run made outside the runner (an app action on demand, X8) under the log quota. */
  keep(scope: { orgId: string; projectId: string }, entry: RunLogEntry): Promise<void>;
  logs(
    r: ProjectRequest,
    q: { consumer?: string | undefined; limit: number; before?: string | undefined },
  ): Promise<{ entries: RunLogEntry[]; next?: string }>;
}

/** Notices of new runs: every node's worker claims at once instead of at its next poll. */
export const RUNS_CHANNEL = "cloakroom_runs";

export function createRunnerService(deps: RunnerServiceDeps): RunnerService {
  const { store, auth } = deps;
  const spend = (orgId: string) => {
    if (deps.orgRate && !deps.orgRate.take(orgId)) {
      throw new AppError(
        "rate_limited",
        "this organization publishes or runs too often; try again shortly (CLOAKROOM_ORG_RUN_RATE)",
      );
    }
  };

  /**
   * Each event and one run per matching enabled consumer, durable together; events published side by side
   * share the transaction (see group-commit.ts). Returns each event's run count.
   */
  const commitEvent = groupCommit(store, async (tx, events: EventRow[]) => {
    await insertEvents(tx, events);
    const matches = new Map<string, string[]>();
    const runs: Parameters<typeof insertRuns>[1] = [];
    const counts: number[] = [];
    for (const event of events) {
      const key = `${event.projectId} ${event.name}`;
      let consumerIds = matches.get(key);
      if (consumerIds === undefined) {
        consumerIds = await deps.consumers.matching(tx, event.projectId, event.name);
        matches.set(key, consumerIds);
      }
      for (const consumerId of consumerIds) {
        runs.push({
          id: newId(),
          orgId: event.orgId,
          projectId: event.projectId,
          consumerId,
          eventId: event.id,
          at: event.publishedAt,
        });
      }
      counts.push(consumerIds.length);
    }
    await insertRuns(tx, runs);
    if (runs.length > 0 && (deps.needsHelp?.(runs.length) ?? true))
      await deps.notifications?.send(tx, RUNS_CHANNEL, "");
    return counts;
  });

  const keep = (scope: { orgId: string; projectId: string }, entry: RunLogEntry) =>
    insertRunLog(
      store.db,
      { orgId: scope.orgId, projectId: scope.projectId, runId: null, entry },
      deps.logQuotaBytes,
    );

  return {
    async publish(r, input) {
      const t = await enterProject(auth, r, "event.publish");
      spend(t.access.org.id);
      const event: RunEvent = {
        id: newId(),
        name: input.name,
        data: input.data ?? {},
        publishedAt: nowIso(),
      };
      const runs = await commitEvent({ ...event, orgId: t.access.org.id, projectId: t.project.id });
      if (runs > 0) deps.onPublished(runs, t.access.org.id);
      return { id: event.id, runs };
    },

    async runNow(r, kind, id, input) {
      const t = await enterProject(auth, r, "consumer.run", { type: kind, id });
      spend(t.access.org.id);
      const consumer = await deps.consumers.load(t, kind, id);
      const event: RunEvent = {
        id: newId(),
        name: input?.event?.name ?? (consumer.event === "" ? "test" : consumer.event),
        data: input?.event?.data ?? {},
        publishedAt: nowIso(),
      };
      const { entry } = await deps.executor.attempt(consumer, event, { deliveryId: newId(), attempt: 1 });
      await keep(consumer, entry);
      deps.onFinished?.(kind, entry.status);
      return entry;
    },

    keep,

    async logs(r, q) {
      const t = await enterProject(auth, r, "logs.read");
      return listRunLogPage(store.db, {
        projectId: t.project.id,
        consumerId: q.consumer,
        before: q.before,
        limit: q.limit,
        maxBytes: LOG_PAGE_BYTES,
      });
    },
  };
}

/**
 * One node's change notices (D2): every channel on one LISTEN connection (listener.ts), shared by the
 * secrets cache (`cloakroom_secrets`), the run worker (`cloakroom_runs`) and whoever else needs to hear
 * about other nodes' commits. A notice is sent inside the changing transaction, so it is delivered exactly
 * when the change commits. `listening()` says whether this node can trust that it hears them: a cache must
 * not serve while it is false. SQLite has one node, which hears its own changes directly: always listening.
 */
import { sql } from "kysely";
import type { Logger } from "pino";
import type { Store, Tx } from "./db.js";
import type { Listening, ListenOptions, ResetReason } from "./listener.js";

export interface Notifications {
  /** True while this node hears every notice (within the heartbeat bound); always true on SQLite. */
  listening(): boolean;
  /** Resolves once LISTEN first succeeds (at once on SQLite); never rejects. */
  readonly ready: Promise<void>;
  /** Before `start()`: calls `onMessage` for each notice on `channel`. */
  subscribe(channel: string, onMessage: (payload: string) => void): void;
  /** Before `start()`: called whenever notices may have been missed, and when listening resumes. */
  onReset(fn: () => void): void;
  /** Sends a notice as part of `tx`: other nodes get it when `tx` commits. A no-op on SQLite. */
  send(tx: Tx, channel: string, payload: string): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

export function createNotifications(deps: {
  store: Store;
  logger: Logger;
  options?: ListenOptions | undefined;
}): Notifications {
  const { store, logger } = deps;
  const channels = new Map<string, ((payload: string) => void)[]>();
  const resets: (() => void)[] = [];
  let listener: Listening | undefined;
  let started = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const remote = store.dialect === "postgres" && store.listen !== undefined;
  if (!remote) markReady();

  const reset = (reason: ResetReason) => {
    if (reason === "listening") {
      markReady();
      logger.info("listening for change notices");
    } else {
      logger.warn(
        { reason },
        reason === "late"
          ? "change notices stopped arriving (heartbeat late); reading secrets through to the database"
          : "the change notice connection was lost; reading secrets through to the database",
      );
    }
    for (const fn of resets) fn();
  };

  return {
    listening: () => !remote || (listener?.active() ?? false),
    ready,
    subscribe(channel, onMessage) {
      if (started) throw new Error("subscribe before start()");
      channels.set(channel, [...(channels.get(channel) ?? []), onMessage]);
    },
    onReset(fn) {
      if (started) throw new Error("onReset before start()");
      resets.push(fn);
    },
    async send(tx, channel, payload) {
      if (remote) await sql`select pg_notify(${channel}, ${payload})`.execute(tx);
    },
    start() {
      if (started) return;
      started = true;
      if (!remote || !store.listen) return;
      listener = store.listen(
        [...channels.keys()],
        {
          onMessage(channel, payload) {
            for (const fn of channels.get(channel) ?? []) fn(payload);
          },
          onReset: reset,
        },
        // Unset: the listener's own defaults (listener.ts), so this module does not load pg.
        deps.options,
      );
    },
    async close() {
      started = true;
      await listener?.stop();
    },
  };
}

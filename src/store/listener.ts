/**
 * PostgreSQL LISTEN on a dedicated connection that knows whether it is still hearing (D2). A reset
 * connection shows itself at once; a silently dead one (a frozen link, a stuck middlebox) does not, so the
 * listener sends itself a heartbeat NOTIFY every `heartbeatMs` over the same connection and counts as
 * listening only while the latest heartbeat it got back was sent less than `timeoutMs` ago. PostgreSQL
 * delivers notices in commit order, so a heartbeat sent at time t coming back means every notice committed
 * before t has arrived: a cache that trusts the listener is never more than `timeoutMs` behind, and stops
 * trusting it the moment it is. The socket also has TCP keepalive, and a connection whose heartbeat is late
 * is dropped and opened again. See docs/decisions/0150-listening-or-reading-through.md.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export interface ListenOptions {
  /** How often the listener sends itself a heartbeat. */
  heartbeatMs: number;
  /** How old the latest returned heartbeat may be before the listener counts as deaf and reconnects. */
  timeoutMs: number;
}

export type ResetReason = "lost" | "late" | "listening";

export interface ListenHandlers {
  onMessage(channel: string, payload: string): void;
  /**
   * Notices may have been missed: the connection was lost ("lost"), went quiet ("late"), or LISTEN is in
   * place again after either ("listening", also after the first connect). Drop what they would invalidate.
   */
  onReset(reason: ResetReason): void;
}

export interface Listening {
  /** True while notices are known to arrive: LISTEN is in place and a heartbeat came back within the bound. */
  active(): boolean;
  stop(): Promise<void>;
}

export const DEFAULT_LISTEN_OPTIONS: ListenOptions = { heartbeatMs: 1000, timeoutMs: 3000 };

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** The `application_name` of a node's LISTEN connection, by the node's process id. */
export const listenerApplicationName = (pid: number): string => `cloakroom listen ${pid}`;

export function listenPostgres(
  connection: { url: string; schema: string | undefined },
  channels: string[],
  handlers: ListenHandlers,
  options: ListenOptions = DEFAULT_LISTEN_OPTIONS,
): Listening {
  for (const channel of channels) if (!CHANNEL.test(channel)) throw new Error("invalid channel name");
  // Private to this listener: other nodes neither hear nor pay for its heartbeats.
  const heartbeat = `cloakroom_heartbeat_${randomBytes(8).toString("hex")}`;
  const retryMs = Math.min(1000, options.heartbeatMs);
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let listening = false;
  /** When the latest returned heartbeat was sent (this node's clock). */
  let heardUpTo = 0;
  /** When the current connection attempt began: one that hangs is given up after the bound too. */
  let attemptSince = 0;

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({
      connectionString: connection.url,
      keepAlive: true,
      keepAliveInitialDelayMillis: options.timeoutMs,
      connectionTimeoutMillis: options.timeoutMs,
      // Named, so an operator (or a fault test) finds this node's LISTEN backend in pg_stat_activity.
      application_name: listenerApplicationName(process.pid),
      ...(connection.schema ? { options: `-c search_path=${connection.schema}` } : {}),
    });
    client = c;
    attemptSince = Date.now();
    c.on("notification", (n) => {
      if (c !== client) return;
      if (n.channel === heartbeat) {
        const sent = Number(n.payload);
        if (sent > heardUpTo) heardUpTo = sent;
      } else if (channels.includes(n.channel)) {
        handlers.onMessage(n.channel, n.payload ?? "");
      }
    });
    c.on("error", () => lost(c, "lost"));
    c.on("end", () => lost(c, "lost"));
    try {
      await c.connect();
      const sent = Date.now();
      await c.query(
        [...channels, heartbeat].map((ch) => `listen ${ch};`).join(" ") +
          ` select pg_notify('${heartbeat}', '${sent}')`,
      );
      if (c !== client || stopped) return;
      heardUpTo = Math.max(heardUpTo, sent);
      listening = true;
      handlers.onReset("listening");
    } catch {
      lost(c, "lost");
    }
  };

  const lost = (c: pg.Client, reason: ResetReason) => {
    if (c !== client || stopped) return;
    const was = listening;
    listening = false;
    client = undefined;
    c.removeAllListeners();
    c.on("error", () => {});
    // end() waits for the server's goodbye, which never comes over a dead link: drop the socket itself.
    (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    if (was || reason === "lost") handlers.onReset(reason);
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, retryMs);
    retry.unref();
  };

  const ticker = setInterval(() => {
    const c = client;
    if (stopped || !c) return;
    const now = Date.now();
    if (!listening) {
      if (now - attemptSince > options.timeoutMs) lost(c, "lost");
      return;
    }
    if (now - heardUpTo > options.timeoutMs) {
      lost(c, "late");
      return;
    }
    c.query(`select pg_notify('${heartbeat}', '${now}')`).catch(() => {});
  }, options.heartbeatMs);
  ticker.unref();

  void connect();
  return {
    active: () => listening && Date.now() - heardUpTo <= options.timeoutMs,
    async stop() {
      stopped = true;
      listening = false;
      clearInterval(ticker);
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      if (!c) return;
      c.removeAllListeners();
      c.on("error", () => {});
      const ended = c.end().catch(() => {});
      // A dead link never answers the goodbye.
      const timer = setTimeout(
        () =>
          (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy(),
        500,
      );
      await ended;
      clearTimeout(timer);
    },
  };
}

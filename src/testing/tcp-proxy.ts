/**
 * Test harness: a TCP proxy on 127.0.0.1 in front of another server (PostgreSQL, in the fault tests), which
 * can break the connections it carries the two ways a network does. `reset()` destroys every connection at
 * once (the peer sees ECONNRESET, like a restarted server or `pg_terminate_backend`); `freeze()` keeps every
 * socket open and silently stops forwarding bytes in both directions (a dead link, a stuck middlebox), so a
 * client notices only through its own timeouts or keepalive. `thaw()` forwards again; new connections made
 * while frozen are frozen too.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** Destroys every open connection; later connections go through as usual. */
  reset(): void;
  /** Stops forwarding bytes on every connection, open or new, without closing any. */
  freeze(): void;
  /** Forwards again, including what was held back while frozen. */
  thaw(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let frozen = false;

  const pipe = (from: Socket, to: Socket) => {
    from.on("data", (chunk) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on("drain", () => {
      if (!frozen) from.resume();
    });
  };

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    if (frozen) {
      client.pause();
      upstream.pause();
    }
    pipe(client, upstream);
    pipe(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP address");

  const proxy: TcpProxy = {
    port: address.port,
    get connections() {
      return pairs.size;
    },
    reset() {
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
    },
    freeze() {
      frozen = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const { client, upstream } of pairs) {
        client.resume();
        upstream.resume();
      }
    },
    async close() {
      proxy.reset();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

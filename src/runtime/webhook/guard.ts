import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import type { buildConnector } from "undici";
import { forbiddenRange } from "./address.js";
import { TargetForbiddenError } from "./errors.js";

export interface TargetGuard {
  /** A `net.connect` lookup that resolves, then refuses the host if any of its addresses is forbidden. */
  lookup: LookupFunction;
  /** Throws `TargetForbiddenError` for a forbidden address. `host` names the target in the message. */
  checkAddress(ip: string, host?: string): void;
}

/**
 * The SSRF guard. The check runs on the addresses the socket will actually use (inside the lookup that
 * `net.connect` calls), so a name cannot resolve to a public address for a check and a private one for
 * the connection. A name with any forbidden address is refused as a whole: happy-eyeballs could otherwise
 * pick the forbidden one.
 */
export function createTargetGuard(opts: { allowPrivate: boolean }): TargetGuard {
  const checkAddress = (ip: string, host: string = ip): void => {
    if (opts.allowPrivate) return;
    const range = forbiddenRange(ip);
    if (range !== null) throw new TargetForbiddenError(host, ip, range);
  };

  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, "", 0);
        return;
      }
      try {
        for (const { address } of addresses) checkAddress(address, hostname);
      } catch (refusal) {
        callback(refusal as NodeJS.ErrnoException, "", 0);
        return;
      }
      const first = addresses[0];
      if (options.all) callback(null, addresses);
      else if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
    });
  };

  return { lookup, checkAddress };
}

/**
 * Wraps an undici connector so that the guard also covers what its lookup cannot: `net.connect` skips the
 * lookup for a literal IP (`http://10.0.0.1/`, `http://[::ffff:7f00:1]/`), so those are checked before any
 * socket is opened; and, as a second line, the connected socket's peer address is checked before a byte of
 * the request is written.
 */
export function guardConnector(
  guard: TargetGuard,
  inner: buildConnector.connector,
): buildConnector.connector {
  return (options, callback) => {
    if (isIP(options.hostname) !== 0) {
      try {
        guard.checkAddress(options.hostname);
      } catch (refusal) {
        callback(refusal as Error, null);
        return;
      }
    }
    inner(options, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new Error("connector returned no socket"), null);
        return;
      }
      try {
        if (socket.remoteAddress) guard.checkAddress(socket.remoteAddress, options.hostname);
      } catch (refusal) {
        socket.destroy();
        callback(refusal as Error, null);
        return;
      }
      callback(null, socket);
    });
  };
}

import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { createServer, type Server, type Socket } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { buildConnector } from "undici";
import { forbiddenRange } from "./address.js";
import { TargetForbiddenError } from "./errors.js";
import { createTargetGuard, guardConnector } from "./guard.js";

const forbidden: [ip: string, range: string][] = [
  ["0.0.0.0", "unspecified"],
  ["0.255.1.2", "unspecified"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["100.64.0.1", "shared (CGNAT)"],
  ["100.127.255.255", "shared (CGNAT)"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["169.254.169.254", "link-local"],
  ["169.254.0.1", "link-local"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.0.0.170", "IETF protocol assignment"],
  ["192.0.2.1", "documentation"],
  ["192.168.0.1", "private"],
  ["192.168.255.255", "private"],
  ["198.18.0.1", "benchmarking"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local"],
  ["febf:ffff::1", "link-local"],
  ["fec0::1", "site-local"],
  ["fc00::1", "unique-local"],
  ["fd12:3456:789a::1", "unique-local"],
  ["ff02::1", "multicast"],
  ["ff0e::1", "multicast"],
  ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
  ["::ffff:7f00:1", "IPv4-mapped loopback"],
  ["::ffff:10.1.2.3", "IPv4-mapped private"],
  ["::ffff:a9fe:a9fe", "IPv4-mapped link-local"],
  ["::ffff:0:10.0.0.1", "IPv4-translated private"],
  ["::127.0.0.1", "IPv4-compatible loopback"],
  ["::a00:1", "IPv4-compatible private"],
  ["64:ff9b::10.0.0.1", "NAT64 private"],
  ["64:ff9b::a9fe:a9fe", "NAT64 link-local"],
  ["64:ff9b:1::1", "local NAT64"],
  ["2002:7f00:1::1", "6to4 loopback"],
  ["2002:c0a8:101::", "6to4 private"],
  ["2001::1", "Teredo"],
  ["2001:db8::1", "documentation"],
  ["100::1", "discard-only"],
  ["not-an-ip", "invalid"],
  ["1.2.3", "invalid"],
  ["::ffff:1.2.3.256", "invalid"],
  ["", "invalid"],
];

const allowed = [
  "8.8.8.8",
  "1.1.1.1",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.1",
  "169.253.255.255",
  "169.255.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "192.167.255.255",
  "192.169.0.0",
  "223.255.255.255",
  "2606:4700:4700::1111",
  "2001:4860:4860::8888",
  "::ffff:8.8.8.8",
  "64:ff9b::808:808",
  "2002:808:808::1",
  "fbff:ffff::1",
];

describe("address ranges", () => {
  for (const [ip, range] of forbidden) {
    it(`${ip || "(empty)"} is refused as ${range}`, () => {
      assert.equal(forbiddenRange(ip), range);
    });
  }
  for (const ip of allowed) {
    it(`${ip} is a public address`, () => {
      assert.equal(forbiddenRange(ip), null);
    });
  }

  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));

  it("an IPv4-mapped IPv6 address is judged exactly as the IPv4 address it carries", () => {
    fc.assert(
      fc.property(v4, (ip) => {
        const [a = 0, b = 0, c = 0, d = 0] = ip.split(".").map(Number);
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        const expected = forbiddenRange(ip) === null;
        assert.equal(forbiddenRange(`::ffff:${ip}`) === null, expected);
        assert.equal(forbiddenRange(hex) === null, expected);
      }),
    );
  });

  it("an address in 10/8, 172.16/12, 192.168/16 or 127/8 is always refused", () => {
    const inRange = fc.oneof(
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
    );
    fc.assert(fc.property(inRange, (parts) => assert.notEqual(forbiddenRange(parts.join(".")), null)));
  });
});

function lookupResult(
  guard: ReturnType<typeof createTargetGuard>,
  host: string,
  all: boolean,
): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }> {
  return new Promise((resolve) => {
    guard.lookup(host, { all }, (err, address) => resolve({ err, address }));
  });
}

describe("the lookup", () => {
  it("refuses a name that resolves to loopback, naming the host", async () => {
    const guard = createTargetGuard({ allowPrivate: false });
    for (const all of [false, true]) {
      const { err } = await lookupResult(guard, "localhost", all);
      assert.ok(err instanceof TargetForbiddenError);
      assert.equal(err.code, "target_forbidden");
      assert.match(err.message, /webhook target localhost is not allowed/);
    }
  });

  it("answers in the shape net.connect asked for when private targets are allowed", async () => {
    const guard = createTargetGuard({ allowPrivate: true });
    const one = await lookupResult(guard, "localhost", false);
    assert.equal(one.err, null);
    assert.equal(typeof one.address, "string");
    const all = await lookupResult(guard, "localhost", true);
    assert.ok(Array.isArray(all.address) && all.address.length > 0);
  });

  it("checkAddress refuses with the host in the message and allows public addresses", () => {
    const guard = createTargetGuard({ allowPrivate: false });
    assert.throws(() => guard.checkAddress("10.0.0.1", "internal.example"), /internal\.example.*10\.0\.0\.1/);
    guard.checkAddress("8.8.8.8");
    createTargetGuard({ allowPrivate: true }).checkAddress("127.0.0.1");
  });
});

describe("the connector", () => {
  async function listen(): Promise<{ server: Server; port: number; received: () => number; close(): void }> {
    let bytes = 0;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on("data", (chunk) => {
        bytes += chunk.length;
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    assert.ok(address && typeof address === "object");
    return {
      server,
      port: address.port,
      received: () => bytes,
      close: () => {
        for (const s of sockets) s.destroy();
        server.close();
      },
    };
  }

  function connect(
    connector: buildConnector.connector,
    hostname: string,
    port: number,
  ): Promise<{ err: Error | null; connected: boolean }> {
    return new Promise((resolve) => {
      connector(
        { hostname, host: `${hostname}:${port}`, protocol: "http:", port: String(port) },
        (err, socket) => {
          socket?.destroy();
          resolve({ err, connected: socket !== null && socket !== undefined });
        },
      );
    });
  }

  it("a literal IP is refused before any socket is opened", async (t) => {
    const sink = await listen();
    t.after(sink.close);
    let connections = 0;
    sink.server.on("connection", () => connections++);
    const guard = createTargetGuard({ allowPrivate: false });
    const connector = guardConnector(guard, buildConnector({ lookup: guard.lookup }));
    const { err } = await connect(connector, "127.0.0.1", sink.port);
    assert.ok(err instanceof TargetForbiddenError);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(connections, 0);
  });

  it("a connection whose peer address is forbidden is closed before anything is written", async (t) => {
    // The inner connector has no guarded lookup, standing in for any path the lookup check might miss.
    const sink = await listen();
    t.after(sink.close);
    const guard = createTargetGuard({ allowPrivate: false });
    const connector = guardConnector(guard, buildConnector({}));
    const { err, connected } = await connect(connector, "localhost", sink.port);
    assert.ok(err instanceof TargetForbiddenError, String(err));
    assert.equal(connected, false);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sink.received(), 0);
  });
});

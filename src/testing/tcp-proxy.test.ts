import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startTcpProxy } from "./tcp-proxy.js";

async function echoServer() {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  return { port: address.port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function reader(socket: Socket) {
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  return () => text;
}

test("the proxy forwards, holds bytes while frozen, delivers them after thaw, and resets connections", async () => {
  const echo = await echoServer();
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: echo.port });
  const socket = connect(proxy.port, "127.0.0.1");
  await once(socket, "connect");
  const received = reader(socket);

  socket.write("a");
  await sleep(50);
  assert.equal(received(), "a");

  proxy.freeze();
  socket.write("b");
  await sleep(100);
  assert.equal(received(), "a", "nothing crosses a frozen proxy");
  assert.equal(socket.destroyed, false, "a frozen connection stays open");

  proxy.thaw();
  await sleep(100);
  assert.equal(received(), "ab");

  // Not events.once: it rejects on the ECONNRESET that is expected here.
  const closed = new Promise((resolve) => socket.on("close", resolve));
  socket.on("error", () => {});
  proxy.reset();
  await closed;
  assert.equal(proxy.connections, 0);

  await proxy.close();
  await echo.close();
});

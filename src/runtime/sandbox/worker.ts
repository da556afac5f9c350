/**
 * Worker thread entry: loads QuickJS once, then runs one job at a time for the pool. Anything that escapes
 * the engine is answered as `sandbox_crashed` with a request to replace this worker.
 */
import { parentPort } from "node:worker_threads";
import { createSandboxEngine } from "./engine.js";
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS, type WorkerReply, type WorkerRequest } from "./types.js";

const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");

const engine = await createSandboxEngine();
// One throwaway run before announcing readiness: it instantiates QuickJS for the default budget and lets
// the wasm tier up, so the first real run does not pay a few hundred milliseconds of warm-up.
await engine.run({
  kind: "function",
  code: "export default ({ event }) => { console.log(event); return [JSON.stringify(event)] }",
  inputJson: '{"event":{"warm":true},"secrets":{}}',
  timeoutMs: DEFAULT_TIMEOUT_MS,
  memoryMb: DEFAULT_MEMORY_MB,
});

port.on("message", async (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const { result, recycle } = await engine.run(request.job);
    reply = { type: "result", id: request.id, result, recycle };
  } catch {
    reply = {
      type: "result",
      id: request.id,
      result: {
        ok: false,
        error: { code: "sandbox_crashed", message: "the sandbox failed unexpectedly" },
        console: [],
        durationMs: 0,
      },
      recycle: true,
    };
  }
  port.postMessage(reply);
});

port.postMessage({ type: "ready" } satisfies WorkerReply);

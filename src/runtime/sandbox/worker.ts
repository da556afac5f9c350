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
// The same for expression jobs (decision 0250), which keep their own runtime in the instance.
await engine.run({
  kind: "expressions",
  sources: ['"use strict";(btoa(event.warm)\n)'],
  keepGoing: false,
  scopeJson: '{"event":{"warm":"yes"},"steps":{},"secrets":{}}',
  lean: false,
  timeoutMs: DEFAULT_TIMEOUT_MS,
  memoryMb: DEFAULT_MEMORY_MB,
});
engine.idle();

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
  // The answer is on its way: what is left of the job, and readying the next, happen off its latency.
  try {
    engine.idle();
  } catch {
    // Clean-up and preparation catch their own failures; this only keeps the worker answering.
  }
});

port.postMessage({ type: "ready" } satisfies WorkerReply);

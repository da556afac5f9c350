/**
 * Test support for app installations (SPEC X8) over HTTP: an installation, a flow of one `app` step, its
 * test run, and the end of a suite that proves no value reached a stored run log, an answer or the log.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach } from "node:test";
import type { TestDatabase } from "./databases.js";
import { type RuntimeFixture, type RuntimeSuite, runtimeFixture, startRuntimeSuite } from "./runtime.js";
import { startTestServer } from "./server.js";
import { startSink } from "./sink.js";

/** Creates an installation; the answer must be 201. */
export async function installApp(f: RuntimeFixture, body: Record<string, unknown>) {
  const res = await f.call("POST", f.p("/installations"), f.owner, body);
  assert.equal(res.status, 201, res.text);
  return res.body as { name: string; timeoutMs: number };
}

/** A flow whose one step (`call`) runs an installation's action; the answer must be 201. */
export async function appStepFlow(
  f: RuntimeFixture,
  name: string,
  step: { installation: string; action: string; input: Record<string, unknown> },
): Promise<{ id: string }> {
  const res = await f.call("POST", f.p("/flows"), f.owner, {
    name,
    steps: [{ id: "call", type: "app", ...step }],
  });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string };
}

/** Runs a flow once on a test event and answers its run-log entry. */
export async function testFlow(f: RuntimeFixture, id: string, event?: unknown) {
  const res = await f.call("POST", f.p(`/flows/${id}/test`), f.owner, event === undefined ? {} : { event });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/**
 * Stops the suite's server and sink, then checks that no stored run-log entry, consumer configuration or
 * audit entry, no answer and no server log line holds `marker` (the prefix every value of the suite
 * carries) or any of `forms` (encoded values).
 */
export async function closeWithoutLeaks(
  suite: RuntimeSuite,
  marker: string,
  forms: string[] = [],
  opts: { runs?: boolean } = {},
) {
  const { server, f, sink } = suite;
  const db = server.cloakroom.store.db;
  const stored = await db.selectFrom("run_logs").select("entry").execute();
  const configs = await db.selectFrom("consumers").select("config").execute();
  const audit = await db.selectFrom("audit_log").selectAll().execute();
  await server.close();
  await sink.close();
  if (opts.runs !== false) assert.ok(stored.length > 0, "the suite stored no run log to check");
  const texts = [
    ...stored.map((row) => row.entry),
    ...configs.map((row) => row.config),
    JSON.stringify(audit),
  ];
  for (const text of [...texts, ...f.seen, ...server.logs]) {
    for (const bad of [marker, ...forms])
      assert.ok(!text.includes(bad), `a value leaked: ${text.slice(0, 300)}`);
  }
}

/**
 * Registers a suite's hooks inside a `describe`: a server over `database` with a sink, `setup` once, a sink
 * that answers `{}` (JSON) afresh before each test, and `closeWithoutLeaks` at the end. Answers the suite,
 * valid from the first test on.
 */
export function useAppSuite(
  database: TestDatabase,
  options: {
    setup(suite: RuntimeSuite): Promise<void>;
    marker: string;
    forms?: () => string[];
    /** The sink's answer before each test (default: 200 with `{}` as JSON). */
    answer?: string;
    /** The server's environment (default: private targets allowed, so the sink is reachable). */
    env?: Record<string, string>;
    /** false: the suite runs no action, so there is no run log to check. */
    runs?: boolean;
  },
): () => RuntimeSuite {
  let suite: RuntimeSuite | undefined;
  before(async () => {
    if (options.env) {
      const server = await startTestServer(database, options.env);
      suite = { server, f: await runtimeFixture(server), sink: await startSink() };
    } else suite = await startRuntimeSuite(database);
    await options.setup(suite);
  });
  beforeEach(() => {
    const sink = suite?.sink;
    sink?.requests.splice(0);
    const body = options.answer ?? "{}";
    sink?.respond(() => ({ status: 200, headers: { "content-type": "application/json" }, body }));
  });
  after(async () => {
    const runs = options.runs ?? true;
    if (suite) await closeWithoutLeaks(suite, options.marker, options.forms?.() ?? [], { runs });
  });
  return () => suite ?? assert.fail("the suite has not started");
}

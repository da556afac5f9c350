/**
 * `cloakroom serve` (SPEC D1-D3): validates the configuration and the root key before it serves, prints one
 * line with the URL, and closes gracefully on SIGINT or SIGTERM (a second signal exits at once; the
 * close has a deadline, CLOAKROOM_SHUTDOWN_TIMEOUT_MS).
 */
import type { Command } from "commander";
import { CliError, type CliIo } from "../io.js";
import { configFrom, type DatabaseFlags, startupError, withDatabase } from "./server-side.js";

/**
 * After the start's first requests (a health check, say), and after bin/code-cache.js has written the code
 * cache (2 s after the process started), so the cache holds the start's code only, however long it took.
 */
const WARM_UP_AFTER_MS = 2500;

export function registerServe(program: Command, io: CliIo): void {
  withDatabase(
    program
      .command("serve")
      .description("run the Cloakroom server (HTTP API and runtime)")
      .option("--host <host>", "address to listen on (CLOAKROOM_HOST, 127.0.0.1)")
      .option("--port <port>", "port to listen on (CLOAKROOM_PORT, 8787; 0 picks a free one)"),
  ).action(async (flags: DatabaseFlags) => {
    await serve(io, flags);
  });
}

async function serve(io: CliIo, flags: DatabaseFlags): Promise<void> {
  const config = await configFrom(flags, io.env);
  if (config.rootKey !== undefined) {
    // A malformed key is a configuration error: report it before the database is created or migrated.
    const { parseRootKey } = await import("../../crypto/index.js");
    try {
      parseRootKey(config.rootKey, "CLOAKROOM_ROOT_KEY");
    } catch (error) {
      throw startupError(error, config);
    }
  }
  const [{ createLogger }, { createCloakroom }] = await Promise.all([
    import("../../logger.js"),
    import("../../app.js"),
  ]);
  const logger = createLogger({ level: config.logLevel });
  let cloakroom: Awaited<ReturnType<typeof createCloakroom>>;
  try {
    cloakroom = await createCloakroom(config, { logger });
  } catch (error) {
    throw startupError(error, config);
  }
  let url: string;
  try {
    url = await cloakroom.listen();
  } catch (error) {
    await cloakroom.close().catch(() => undefined);
    throw startupError(error, config);
  }
  io.stdout.write(`cloakroom listening on ${url}\n`);
  // The redactor's build code, compiled before the first run after this start needs it (decision 0355).
  const { startBuildWarmUp } = await import("../../redaction/index.js");
  const stopWarmUp = startBuildWarmUp({
    delayMs: WARM_UP_AFTER_MS,
    onError: (error) => logger.warn({ err: error }, "the redactor's warm-up stopped: a build failed"),
  });

  await new Promise<void>((resolve, reject) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) {
        io.stderr.write(`${signal} again: exiting without waiting\n`);
        process.exit(1);
      }
      closing = true;
      stopWarmUp();
      io.stderr.write(`${signal}: closing (runs in flight finish or are released)\n`);
      // Closing waits on the database (handing runs back, ending the pool); a silent connection must not
      // keep the process alive past its deadline. Runs not handed back return to the queue when their
      // leases expire.
      const deadline = setTimeout(() => {
        io.stderr.write(
          `closing did not finish within ${config.shutdownTimeoutMs} ms (CLOAKROOM_SHUTDOWN_TIMEOUT_MS): exiting\n`,
        );
        process.exit(1);
      }, config.shutdownTimeoutMs);
      deadline.unref();
      cloakroom.close().then(
        () => {
          clearTimeout(deadline);
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          resolve();
        },
        (error: unknown) => reject(new CliError(`closing failed: ${(error as Error).message}`)),
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/**
 * Test support: a whole Cloakroom server in a process of its own, so a test can SIGKILL it. Configured by
 * the environment like the real server (CLOAKROOM_DATA_DIR, DATABASE_URL, CLOAKROOM_ROOT_KEY, ...), plus
 * CLOAKROOM_TEST_PG_SCHEMA for a PostgreSQL schema. Listens on 127.0.0.1 on a free port and writes one line
 * `{"url": ...}` to stdout once it serves.
 */
import { createCloakroom } from "../app.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";

const config = loadConfig({ host: "127.0.0.1", port: 0 }, process.env);
const logger = createLogger({ level: config.logLevel, destination: process.stderr });
const pgSchema = process.env.CLOAKROOM_TEST_PG_SCHEMA;
const cloakroom = await createCloakroom(config, { logger, ...(pgSchema ? { pgSchema } : {}) });
const url = await cloakroom.listen();
process.stdout.write(`${JSON.stringify({ url })}\n`);

const shutdown = () => {
  void cloakroom.close().finally(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);

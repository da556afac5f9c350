/** Test support: an audit key for tests that build the audit log below the composition root. */
import { randomBytes } from "node:crypto";

/** One random key per test process, as a real deployment has one per database. */
export const TEST_AUDIT_KEY: Buffer = randomBytes(32);

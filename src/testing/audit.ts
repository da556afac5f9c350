/** Test support for the audit domain: a key, an entry, and an organization row to hang a chain on. */
import { randomBytes } from "node:crypto";
import type { AuditEntryInput } from "../audit/types.js";
import type { Store } from "../store/db.js";
import { newId } from "../store/ids.js";

/** One random key per test process, as a real deployment has one per database. */
export const TEST_AUDIT_KEY: Buffer = randomBytes(32);

/** The n-th change of a secret by ann@example.com, from 10.0.0.1. */
export function auditEntry(orgId: string | null, n: number): AuditEntryInput {
  return {
    orgId,
    actor: { type: "user", userId: "u-ann", email: "ann@example.com" },
    action: "secret.update",
    target: { type: "secret", id: `s-${n}`, name: `KEY_${n}` },
    outcome: "success",
    sourceIp: "10.0.0.1",
    details: { n },
  };
}

/** An organization row (its chain needs one); returns its id. */
export async function makeOrg(store: Pick<Store, "db">, slug: string): Promise<string> {
  const id = newId();
  await store.db
    .insertInto("orgs")
    .values({
      id,
      slug,
      name: slug,
      naming_policy: "upper_snake",
      editors_manage_secrets: 0,
      versions_kept: 10,
      created_at: new Date().toISOString(),
    })
    .execute();
  return id;
}

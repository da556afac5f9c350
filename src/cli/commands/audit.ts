/** `audit verify` (A3, reads the database directly) and `audit list` (through the API). */
import { resolve } from "node:path";
import type { Command } from "commander";
import type { AuditEntry } from "../../client/index.js";
import { type OrgFlags, orgContext, withOrg } from "../context.js";
import { CliError, type CliIo, EXIT } from "../io.js";
import { type Columns, printJson, shortTime } from "../output.js";
import { listAction } from "../verbs.js";
import { integer } from "./orgs.js";
import {
  configFrom,
  type DatabaseFlags,
  openWithRootKey,
  startupError,
  withDatabase,
} from "./server-side.js";

export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command("audit").description("the audit log: who did what, when (never a value)");

  withDatabase(audit.command("verify"))
    .description(
      "check the audit log's keyed hash chains in the database against their anchors; exit 3 naming the first " +
        "edited, removed or reordered entry, or a chain cut short or deleted",
    )
    .option(
      "--anchors <file>",
      "the anchor file to check against (default: <data-dir>/audit-anchors.jsonl; or a copy shipped to CLOAKROOM_AUDIT_ANCHOR_URL)",
    )
    .option("--json", "print the result as JSON")
    .action((flags: VerifyFlags) => verify(io, flags));

  withOrg(
    audit.command("list").description("show an organization's audit log, newest first (owners and admins)"),
    false,
  )
    .option("--limit <n>", "how many entries (default 50)", (v) => integer(v, "--limit"))
    .option("--before <id>", "entries older than this one (paging)")
    .option("--json", "print the API's JSON")
    .action(
      listAction(io, orgContext, {
        fetch: (
          { client, org },
          flags: OrgFlags & { limit?: number; before?: string },
        ): Promise<AuditEntry[]> =>
          client.audit.list(org, {
            limit: flags.limit ?? 50,
            ...(flags.before ? { before: flags.before } : {}),
          }),
        json: (entries) => ({ entries }),
        columns: auditColumns,
        empty: ({ org }) => `no audit entries in ${org}`,
      }),
    );
}

const auditColumns: Columns<AuditEntry> = {
  TIME: (e) => shortTime(e.at),
  ACTOR: (e) => `${e.actor.type}${e.actor.name ? `:${e.actor.name}` : ""}`,
  ACTION: "action",
  TARGET: targetLabel,
  OUTCOME: "outcome",
  SOURCE: (e) => e.sourceIp ?? "",
};

function targetLabel(e: AuditEntry): string {
  if (!e.target) return "";
  const name = e.target.name ? `:${e.target.name}` : e.target.id ? `:${e.target.id}` : "";
  return `${e.target.type}${name}`;
}

type VerifyFlags = DatabaseFlags & { anchors?: string; json?: boolean };

/** `audit verify`: the chains in the database against the anchor file; exit 3 at the first bad entry. */
async function verify(io: CliIo, flags: VerifyFlags): Promise<void> {
  const config = await configFrom(flags, io.env);
  const { store, rootKey } = await openWithRootKey(config);
  try {
    const { verifyAuditChain } = await import("../../audit/verify.js");
    const { anchorFilePath, findAuditKey, readAnchors } = await import("../../audit/index.js");
    const key = await findAuditKey(store, rootKey).catch((error: unknown) => {
      throw startupError(error, config);
    });
    const file = resolve(flags.anchors ?? anchorFilePath(config.dataDir));
    const anchors = key ? await readAnchors(file, key) : undefined;
    const fail = (message: string): never => {
      throw new CliError(`audit log verification failed: ${message}`, EXIT.verification);
    };
    if (anchors && anchors.invalidLines.length > 0) {
      fail(
        `line ${anchors.invalidLines[0]} of the anchor file ${file} is not an authentic anchor (edited or forged)`,
      );
    }
    const result = await verifyAuditChain(store, { key, anchors: anchors?.latest });
    if (result.ok && !anchors && result.checked > 0) {
      fail(
        `there is no anchor file at ${file}, so a chain cut short or deleted cannot be ruled out; pass --anchors FILE ` +
          "(a node's data dir holds one, and CLOAKROOM_AUDIT_ANCHOR_URL receives a copy)",
      );
    }
    if (flags.json) printJson(io, { ...result, anchoredChains: anchors?.latest.size ?? 0 });
    if (result.ok) {
      if (!flags.json) {
        io.stdout.write(
          `audit log verified: ${result.checked} entries; ${anchors?.latest.size ?? 0} chain(s) checked against ${file}\n`,
        );
      }
      return;
    }
    const entry = result.id
      ? `entry ${result.id} (chain ${result.chain}, position ${result.seq})`
      : `position ${result.seq} of chain ${result.chain}`;
    throw new CliError(
      `audit log verification failed at ${entry}: ${result.reason} (${result.checked} entries verified before it)`,
      EXIT.verification,
    );
  } finally {
    await store.close();
  }
}

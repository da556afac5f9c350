/**
 * `keys rotate` (S10): rewraps every data key under a new root key, without downtime. Running servers keep
 * the data keys they have unwrapped, so they go on serving; they need the new root key when they restart.
 *
 * Order matters so that no failure can leave the database under a key that exists nowhere: the new key is
 * written to disk (fsynced) first, then the database is rewrapped in one transaction, then the new key file
 * is moved into place. See docs/decisions/0117-cli-keys-rotate.md.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { syncDirectory, writeNewKeyFile } from "../../crypto/index.js";
import { CliError, type CliIo } from "../io.js";
import { configFrom, type DatabaseFlags, openWithRootKey, withDatabase } from "./server-side.js";

export function registerKeys(program: Command, io: CliIo): void {
  withDatabase(
    program
      .command("keys")
      .description("the root key that wraps every organization's data keys")
      .command("rotate"),
  )
    .description(
      "replace the root key: with a key file, <data-dir>/root.key is replaced (the old one kept as root.key.previous); " +
        "with CLOAKROOM_ROOT_KEY, the new key is written to --new-key-file for you to deploy",
    )
    .option(
      "--new-key-file <path>",
      "where to write the new key (required when the key comes from CLOAKROOM_ROOT_KEY)",
    )
    .action(async (flags: DatabaseFlags & { newKeyFile?: string }) => {
      await rotate(io, flags);
    });
}

async function rotate(io: CliIo, flags: DatabaseFlags & { newKeyFile?: string }): Promise<void> {
  const config = await configFrom(flags, io.env);
  const crypto = await import("../../crypto/index.js");
  const { rotateRootKey } = await import("../../secrets/keyring.js");
  const fromEnv = config.rootKey !== undefined;
  if (fromEnv && !flags.newKeyFile) {
    throw new CliError(
      "the root key comes from CLOAKROOM_ROOT_KEY: pass --new-key-file PATH to receive the new key. Nothing was changed.",
    );
  }
  if (!fromEnv && flags.newKeyFile) {
    throw new CliError(
      `the root key comes from the key file ${join(config.dataDir, crypto.ROOT_KEY_FILE)}, which rotation replaces; ` +
        "--new-key-file is for CLOAKROOM_ROOT_KEY deployments. Nothing was changed.",
    );
  }

  const { store, rootKey: oldRoot } = await openWithRootKey(config, {
    keyless: "this database has never been opened with a root key: there is nothing to rotate",
    onWarning: (warning) => io.stderr.write(`warning: ${warning}\n`),
  });
  let written: string | undefined;
  try {
    const newRoot = crypto.generateRootKey();
    const content = `${crypto.encodeRootKey(newRoot)}\n`;
    const keyFile = join(config.dataDir, crypto.ROOT_KEY_FILE);
    const target = fromEnv ? resolve(flags.newKeyFile as string) : `${keyFile}.next`;
    await writeNewFile(target, content).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EEXIST") {
        throw new CliError(
          fromEnv
            ? `${target} already exists; choose a new path for the new key. Nothing was changed.`
            : `${target} exists (left by an interrupted rotation?): check which key the database uses, then remove it. Nothing was changed.`,
        );
      }
      throw new CliError(`cannot write ${target} (${error.code ?? "error"}). Nothing was changed.`);
    });
    written = target;

    const { createAuditLog, loadAuditKey } = await import("../../audit/index.js");
    const audit = createAuditLog({ store, key: await loadAuditKey(store, oldRoot) });
    const { rewrapped } = await rotateRootKey(store, oldRoot, newRoot, (tx, count) =>
      audit.append(tx, {
        orgId: null,
        actor: { type: "system", name: "cloakroom keys rotate" },
        action: "key.rotate",
        target: { type: "root_key", id: newRoot.id },
        outcome: "success",
        details: { previousKeyId: oldRoot.id, rewrapped: count },
      }),
    );
    written = undefined; // the database now needs this file: never remove it from here on

    if (!fromEnv) {
      const previous = `${keyFile}.previous`;
      // Kept for restoring backups taken before this rotation.
      const temp = `${previous}.${randomBytes(4).toString("hex")}.tmp`;
      await writeNewFile(temp, await readFile(keyFile, "utf8"));
      await rename(temp, previous);
      await rename(target, keyFile);
      await syncDirectory(config.dataDir);
    }

    io.stdout.write(
      `rotated the root key: ${rewrapped} data key(s) rewrapped; key id ${oldRoot.id} -> ${newRoot.id}\n`,
    );
    if (fromEnv) {
      io.stdout.write(
        `The new key is in ${target} (mode 0600). Set CLOAKROOM_ROOT_KEY to its contents on every node before ` +
          "it next restarts: the old key no longer opens this database. Running nodes keep serving.\n",
      );
    } else {
      io.stdout.write(
        `The new key is in ${keyFile}; the previous one is kept in ${keyFile}.previous for backups taken before ` +
          "now. Running servers keep serving and use the new key when they restart.\n",
      );
    }
  } finally {
    if (written !== undefined) await unlink(written).catch(() => undefined);
    await store.close();
  }
}

/** Exclusive create with mode 0600, content fsynced, directory entry fsynced. */
async function writeNewFile(path: string, content: string): Promise<void> {
  await writeNewKeyFile(path, content);
  await syncDirectory(dirname(path));
}

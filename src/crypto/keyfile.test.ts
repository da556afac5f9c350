import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { AppError } from "../errors.js";
import { loadRootKey } from "./keyfile.js";
import { encodeRootKey, generateRootKey } from "./keys.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cloakroom-keyfile-"));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const posix = process.platform !== "win32";

describe("root key loading", () => {
  it("creates the key file with mode 0600 on first run and reuses it on the next", async () => {
    const dataDir = join(await tempDir(), "data");
    const first = await loadRootKey({ envValue: undefined, dataDir, createIfMissing: true });
    assert.equal(first.source, "file");
    assert.equal(first.created, true);
    assert.ok(first.warnings.some((w) => w.includes("CLOAKROOM_ROOT_KEY")));
    if (posix) assert.equal((await stat(join(dataDir, "root.key"))).mode & 0o777, 0o600);
    assert.equal((await readFile(join(dataDir, "root.key"), "utf8")).trim(), encodeRootKey(first.rootKey));
    for (const w of first.warnings) assert.ok(!w.includes(encodeRootKey(first.rootKey)));

    const second = await loadRootKey({ envValue: undefined, dataDir, createIfMissing: true });
    assert.equal(second.created, false);
    assert.equal(second.rootKey.id, first.rootKey.id);
    assert.deepEqual(second.warnings, []);
  });

  it("the environment's key wins over the key file", async () => {
    const dataDir = await tempDir();
    const fileKey = generateRootKey();
    const envKey = generateRootKey();
    await writeFile(join(dataDir, "root.key"), encodeRootKey(fileKey), { mode: 0o600 });
    const loaded = await loadRootKey({ envValue: encodeRootKey(envKey), dataDir, createIfMissing: true });
    assert.equal(loaded.source, "env");
    assert.equal(loaded.rootKey.id, envKey.id);
    assert.ok(loaded.warnings.some((w) => w.includes("ignored")));
  });

  it("a key from the environment creates no file", async () => {
    const dataDir = await tempDir();
    const loaded = await loadRootKey({
      envValue: encodeRootKey(generateRootKey()),
      dataDir,
      createIfMissing: true,
    });
    assert.deepEqual(loaded.warnings, []);
    assert.deepEqual(await readdir(dataDir), []);
  });

  it("a malformed environment key stops loading with a clear message that does not echo it, and writes nothing", async () => {
    const dataDir = await tempDir();
    const bad = Buffer.alloc(31, 0xab).toString("base64");
    for (const envValue of [bad, "", "hunter2hunter2"]) {
      await assert.rejects(
        loadRootKey({ envValue, dataDir, createIfMissing: true }),
        (err: unknown) =>
          err instanceof AppError &&
          err.code === "invalid_request" &&
          err.message.includes("CLOAKROOM_ROOT_KEY") &&
          (envValue === "" || !err.message.includes(envValue.slice(0, 8))),
      );
    }
    assert.deepEqual(await readdir(dataDir), []);
  });

  it("a missing key file is not created unless asked, and the message names the path", async () => {
    const dataDir = await tempDir();
    await assert.rejects(
      loadRootKey({ envValue: undefined, dataDir, createIfMissing: false }),
      (err: unknown) => err instanceof AppError && err.message.includes(join(dataDir, "root.key")),
    );
    assert.deepEqual(await readdir(dataDir), []);
  });

  it("a malformed key file stops loading with a message naming the file", async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, "root.key"), "c2hvcnQ=\n", { mode: 0o600 });
    await assert.rejects(
      loadRootKey({ envValue: undefined, dataDir, createIfMissing: true }),
      (err: unknown) =>
        err instanceof AppError &&
        err.message.includes(join(dataDir, "root.key")) &&
        !err.message.includes("c2hv"),
    );
    assert.equal(await readFile(join(dataDir, "root.key"), "utf8"), "c2hvcnQ=\n");
  });

  it("a key file readable by group or others loads with a warning", { skip: !posix }, async () => {
    const dataDir = await tempDir();
    const key = generateRootKey();
    const path = join(dataDir, "root.key");
    await writeFile(path, `${encodeRootKey(key)}\n`);
    await chmod(path, 0o644);
    const loaded = await loadRootKey({ envValue: undefined, dataDir, createIfMissing: false });
    assert.equal(loaded.rootKey.id, key.id);
    assert.equal(loaded.warnings.length, 1);
    assert.match(loaded.warnings[0] ?? "", /0644.*chmod 600/);
  });

  it("concurrent first starts in one process end up with one key and no stray files", async () => {
    const dataDir = await tempDir();
    const results = await Promise.all(
      Array.from({ length: 12 }, () => loadRootKey({ envValue: undefined, dataDir, createIfMissing: true })),
    );
    assert.equal(new Set(results.map((r) => r.rootKey.id)).size, 1);
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.deepEqual(await readdir(dataDir), ["root.key"]);
  });

  it("concurrent first starts in separate processes end up with one key", async () => {
    const dataDir = await tempDir();
    const moduleUrl = new URL(`./keyfile${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);
    // Under tsx the test is TypeScript, so the children need its loader; compiled, plain node will do.
    const loader = moduleUrl.pathname.endsWith(".ts") ? ["--import", "tsx"] : [];
    const script = `
      const { loadRootKey } = await import(${JSON.stringify(moduleUrl.href)});
      const r = await loadRootKey({ envValue: undefined, dataDir: process.argv[1], createIfMissing: true });
      process.stdout.write(JSON.stringify({ id: r.rootKey.id, created: r.created }));`;
    const runChild = () =>
      new Promise<{ id: string; created: boolean }>((resolve, reject) => {
        const child = spawn(process.execPath, [...loader, "--input-type=module", "-e", script, dataDir], {
          cwd: fileURLToPath(new URL("../..", import.meta.url)),
        });
        let out = "";
        let errOut = "";
        child.stdout.on("data", (d) => {
          out += d;
        });
        child.stderr.on("data", (d) => {
          errOut += d;
        });
        child.on("error", reject);
        child.on("close", (code) => {
          if (code === 0) resolve(JSON.parse(out));
          else reject(new Error(`child exited ${code}: ${errOut}`));
        });
      });
    const results = await Promise.all(Array.from({ length: 4 }, runChild));
    assert.equal(new Set(results.map((r) => r.id)).size, 1);
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.deepEqual(await readdir(dataDir), ["root.key"]);
  });
});

/** `serve` is declared alone when it is what runs (decision 0275); users must not see a difference. */
import assert from "node:assert/strict";
import { PassThrough, Writable } from "node:stream";
import { describe, it } from "node:test";
import { buildProgram } from "./program.js";

/** Parses `argv` with the whole program or with `serve` alone; what it printed, and how it ended. */
async function parse(argv: string[], only?: "serve") {
  let out = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  const program = buildProgram({ stdin: new PassThrough(), stdout: sink, stderr: sink, env: {} }, only);
  program.commands
    .find((c) => c.name() === "serve")!
    .action(() => {
      out += "(would serve)";
    });
  const ended = await program.parseAsync(argv, { from: "user" }).then(
    () => "ok",
    (error: { code?: string }) => error.code,
  );
  return { out, ended, commands: program.commands.map((c) => c.name()) };
}

describe("serve declared alone", () => {
  it("has only serve, and the same help, errors and action as in the whole program", async () => {
    assert.deepEqual((await parse(["serve"], "serve")).commands, ["serve"]);
    assert.ok((await parse(["serve"])).commands.length > 5);
    for (const argv of [
      ["serve", "--help"],
      ["serve", "--nope"],
      ["serve", "--port"],
      ["serve", "extra"],
      ["serve", "--port", "0", "--data-dir", "/tmp/x"],
    ]) {
      const alone = await parse(argv, "serve");
      const whole = await parse(argv);
      assert.deepEqual(alone.out, whole.out, argv.join(" "));
      assert.equal(alone.ended, whole.ended, argv.join(" "));
      assert.ok(alone.out !== "", argv.join(" "));
    }
  });
});

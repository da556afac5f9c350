import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { CliIo } from "./io.js";
import { CliError } from "./io.js";
import { parseValue, readSecretValue } from "./values.js";

function pipeIo(input: string): CliIo {
  const stdin = new PassThrough();
  stdin.end(input);
  return { stdin, stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CliError, `expected a CliError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected an error");
}

describe("reading secret values", () => {
  test("a token read from a pipe loses exactly one trailing line break", () => {
    assert.equal(parseValue("token", "abc\n", "stdin"), "abc");
    assert.equal(parseValue("token", "abc\r\n", "stdin"), "abc");
    assert.equal(parseValue("token", "abc\n\n", "stdin"), "abc\n");
    assert.equal(parseValue("token", "  abc  ", "stdin"), "  abc  ");
  });

  test("a username and password are read as two lines or as a JSON object", () => {
    assert.deepEqual(parseValue("username_password", "alice\ns3cret pass\n", "stdin"), {
      username: "alice",
      password: "s3cret pass",
    });
    assert.deepEqual(parseValue("username_password", "alice\r\nmulti\nline\n", "stdin"), {
      username: "alice",
      password: "multi\nline",
    });
    assert.deepEqual(parseValue("username_password", '{"username":"bob","password":"pw"}', "stdin"), {
      username: "bob",
      password: "pw",
    });
  });

  test("a JSON secret must be an object", () => {
    assert.deepEqual(parseValue("json", '{"a":{"b":1}}\n', "stdin"), { a: { b: 1 } });
    assert.match(
      messageOf(() => parseValue("json", "[1,2]", "stdin")),
      /must hold a JSON object/,
    );
    assert.match(
      messageOf(() => parseValue("json", '"text"', "stdin")),
      /must hold a JSON object/,
    );
  });

  test("empty values are refused", () => {
    assert.match(
      messageOf(() => parseValue("token", "\n", "stdin")),
      /empty/,
    );
    assert.match(
      messageOf(() => parseValue("username_password", "alice\n\n", "stdin")),
      /empty/,
    );
  });

  test("a value that cannot be parsed never appears in the error message", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 60 }),
        fc.constantFrom("json", "username_password") as fc.Arbitrary<"json" | "username_password">,
        (text, type) => {
          const candidate = `{${text}`;
          let message: string | undefined;
          try {
            parseValue(type, candidate, "standard input");
          } catch (error) {
            message = (error as Error).message;
          }
          if (message !== undefined) {
            assert.ok(!message.includes(text), `message quotes the input: ${message}`);
          }
        },
      ),
    );
  });

  test("a password on one line alone is refused without quoting it", () => {
    const message = messageOf(() => parseValue("username_password", "only-one-line-secret\n", "stdin"));
    assert.ok(!message.includes("only-one-line-secret"));
  });

  test("standard input that is not a terminal is read to its end", async () => {
    assert.equal(await readSecretValue(pipeIo("from-a-pipe\n"), "token", {}), "from-a-pipe");
    await assert.rejects(readSecretValue(pipeIo(""), "token", {}), /no value on standard input/);
  });
});

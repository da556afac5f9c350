/**
 * Reading a secret value (SPEC I3): from `--from-file PATH`, from standard input when it is not a terminal,
 * or from a hidden prompt on a terminal. Never from the command line, where it would land in the shell
 * history and in every process listing. Passwords are read the same way. No message here ever quotes what was
 * read.
 */
import type { SecretType, SecretValue } from "../client/index.js";
import { parseJsonObject, READ_LIMIT, readTextFile } from "./files.js";
import {
  CliError,
  type CliIo,
  isInteractive,
  promptHidden,
  promptVisible,
  readAll,
  stripOneNewline,
} from "./io.js";

export interface ValueSource {
  fromFile?: string | undefined;
}

export async function readSecretValue(
  io: CliIo,
  type: SecretType,
  source: ValueSource,
): Promise<SecretValue> {
  if (source.fromFile !== undefined) {
    const text = await readValueFile(io, source.fromFile);
    return parseValue(type, text, `the file ${source.fromFile}`);
  }
  if (isInteractive(io)) return promptValue(io, type);
  const text = (await readAll(io.stdin, READ_LIMIT)).toString("utf8");
  if (text === "") {
    throw new CliError(
      "no value on standard input: pipe it in (e.g. `cloakroom secrets create NAME < file`), use --from-file PATH, or run in a terminal to be prompted",
    );
  }
  return parseValue(type, text, "standard input");
}

/** A password from a hidden prompt on a terminal, else from standard input (one line). */
export async function readPassword(io: CliIo, options: { confirm: boolean }): Promise<string> {
  if (isInteractive(io)) {
    const password = await promptHidden(io, "Password (hidden): ");
    if (options.confirm && (await promptHidden(io, "Repeat password: ")) !== password) {
      throw new CliError("the passwords do not match");
    }
    if (password === "") throw new CliError("no password given");
    return password;
  }
  const password = stripOneNewline((await readAll(io.stdin, 64 * 1024)).toString("utf8"));
  if (password === "") {
    throw new CliError("no password: pipe it on standard input (e.g. `< password.txt`) or run in a terminal");
  }
  return password;
}

/** An email from `--email`, else asked on the terminal (echoed: it is not a secret). */
export async function readEmail(io: CliIo, flag: string | undefined): Promise<string> {
  if (flag) return flag;
  if (!isInteractive(io)) throw new CliError("pass --email EMAIL");
  const email = (await promptVisible(io, "Email: ")).trim();
  if (!email) throw new CliError("no email given");
  return email;
}

async function readValueFile(io: CliIo, path: string): Promise<string> {
  if (path === "-") return (await readAll(io.stdin, READ_LIMIT)).toString("utf8");
  return readTextFile(path, "value file");
}

async function promptValue(io: CliIo, type: SecretType): Promise<SecretValue> {
  switch (type) {
    case "token": {
      const value = await promptHidden(io, "Value (hidden): ");
      if (value === "") throw new CliError("the value is empty");
      return value;
    }
    case "username_password": {
      // The username is redacted like the password, but people need to see what they type.
      const username = await promptVisible(io, "Username: ");
      const password = await promptHidden(io, "Password (hidden): ");
      if (password === "") throw new CliError("the password is empty");
      return { username, password };
    }
    case "json": {
      const text = await promptHidden(io, "JSON object (hidden, one line): ");
      return parseValue("json", text, "the prompt");
    }
  }
}

/**
 * Turns text into a value of `type`:
 * - token: the text without one trailing line break;
 * - username_password: a JSON object `{"username", "password"}`, or two lines (username, then password);
 * - json: a JSON object.
 */
export function parseValue(type: SecretType, text: string, where: string): SecretValue {
  switch (type) {
    case "token": {
      const value = stripOneNewline(text);
      if (value === "") throw new CliError(`the value from ${where} is empty`);
      return value;
    }
    case "username_password": {
      if (text.trimStart().startsWith("{")) {
        const parsed = parseJsonObject(text, where);
        const { username, password, ...rest } = parsed;
        if (typeof username !== "string" || typeof password !== "string" || Object.keys(rest).length > 0) {
          throw new CliError(
            `${where} must hold {"username": "...", "password": "..."} (two strings, nothing else) or two lines: username, then password`,
          );
        }
        if (password === "") throw new CliError(`the password from ${where} is empty`);
        return { username, password };
      }
      const body = stripOneNewline(text);
      const cut = body.indexOf("\n");
      if (cut < 0) {
        throw new CliError(
          `${where} must hold two lines (username, then password) or {"username": "...", "password": "..."}`,
        );
      }
      const username = body.slice(0, cut).replace(/\r$/, "");
      const password = body.slice(cut + 1);
      if (password === "") throw new CliError(`the password from ${where} is empty`);
      return { username, password };
    }
    case "json":
      return parseJsonObject(text, where);
  }
}

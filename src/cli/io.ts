/**
 * The CLI's contact with the terminal: standard streams, the environment, reading standard input and the
 * prompts. Commands receive a `CliIo` so tests can run them with other streams.
 */
import type { Readable, Writable } from "node:stream";

export interface CliIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Exit codes, also listed in `cloakroom --help`. */
export const EXIT = {
  ok: 0,
  /** Usage, configuration, file or network error. */
  usage: 1,
  /** The server answered with an error (`error: <code>: <message>`), or a run started on demand failed. */
  api: 2,
  /** `audit verify` found a bad entry. */
  verification: 3,
  /** Cancelled at a prompt (Ctrl-C). */
  cancelled: 130,
} as const;

/** An error the CLI reports as one line on standard error, with its exit code and no stack. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

/** Standard input up to `limit` bytes; more is an error, so a runaway pipe cannot fill the memory. */
export async function readAll(stream: Readable, limit: number, what = "standard input"): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      stream.destroy();
      throw new CliError(`${what} holds more than ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function isInteractive(io: CliIo): boolean {
  return io.stdin.isTTY === true && typeof io.stdin.setRawMode === "function";
}

/**
 * Reads one line from the terminal in raw mode. With `echo: false` nothing of what is typed reaches the
 * screen (not even asterisks, which would reveal the length). Ctrl-C cancels, Ctrl-U clears, Backspace
 * deletes; terminal escape sequences (arrow keys, bracketed-paste markers) are ignored.
 */
export function promptLine(io: CliIo, question: string, options: { echo: boolean }): Promise<string> {
  const input = io.stdin;
  if (!isInteractive(io)) return Promise.reject(new CliError("no terminal to prompt on"));
  // Raw mode before the question: an answer typed as soon as the question shows must not be echoed.
  input.setRawMode?.(true);
  input.setEncoding("utf8");
  input.resume();
  io.stderr.write(question);
  return new Promise<string>((resolve, reject) => {
    let chars: string[] = [];
    // 0: text, 1: after ESC, 2: inside a CSI sequence (ESC [ ... final byte)
    let escState = 0;
    const finish = (error: Error | null) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.setRawMode?.(false);
      input.pause();
      io.stderr.write("\n");
      if (error) reject(error);
      else resolve(chars.join(""));
    };
    const onEnd = () => finish(chars.length > 0 ? null : new CliError("no input", EXIT.cancelled));
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (escState === 1) {
          escState = ch === "[" ? 2 : 0;
          continue;
        }
        if (escState === 2) {
          if (ch >= "@" && ch <= "~") escState = 0;
          continue;
        }
        switch (ch) {
          case "\r":
          case "\n":
            finish(null);
            return;
          case "\u0003": // Ctrl-C
            finish(new CliError("cancelled", EXIT.cancelled));
            return;
          case "\u0004": // Ctrl-D
            if (chars.length === 0) {
              finish(new CliError("cancelled", EXIT.cancelled));
              return;
            }
            finish(null);
            return;
          case "\u007f":
          case "\b":
            if (chars.length > 0) {
              chars.pop();
              if (options.echo) io.stderr.write("\b \b");
            }
            continue;
          case "\u0015": // Ctrl-U
            if (options.echo) io.stderr.write("\b \b".repeat(chars.length));
            chars = [];
            continue;
          case "\u001b":
            escState = 1;
            continue;
        }
        if (ch < " ") continue;
        chars.push(ch);
        if (options.echo) io.stderr.write(ch);
      }
    };
    input.on("data", onData);
    input.on("end", onEnd);
  });
}

export const promptHidden = (io: CliIo, question: string) => promptLine(io, question, { echo: false });
export const promptVisible = (io: CliIo, question: string) => promptLine(io, question, { echo: true });

/** Strips one trailing line break, which `echo`, heredocs and most editors add. */
export function stripOneNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

/**
 * Confirmation before a command that destroys or breaks something: asked on a terminal, skipped with
 * `--yes`, and refused without either, so a script never deletes by accident and never hangs on a prompt.
 */
import { CliError, type CliIo, isInteractive, promptLine } from "./io.js";

export async function confirmOrStop(
  io: CliIo,
  options: { yes: boolean | undefined; question: string; action: string },
): Promise<void> {
  if (options.yes) return;
  if (!isInteractive(io))
    throw new CliError(`${options.action} needs confirmation: pass --yes (there is no terminal to ask on)`);
  const answer = (await promptLine(io, `${options.question} [y/N] `, { echo: true })).trim().toLowerCase();
  if (answer !== "y" && answer !== "yes")
    throw new CliError(`${options.action}: cancelled, nothing was changed`);
}

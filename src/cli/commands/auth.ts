/** `setup`, `login`, `logout`, `whoami`: the session saved in the config file. */
import type { Command } from "commander";
import { CloakroomApiError } from "../../client/index.js";
import { writeConfig } from "../config-file.js";
import { clientFor, loadSession, signedInClient } from "../context.js";
import { CliError, type CliIo } from "../io.js";
import { printFields, printJson } from "../output.js";
import { readEmail, readPassword } from "../values.js";

export function registerAuth(program: Command, io: CliIo): void {
  program
    .command("setup")
    .description("first-run setup of a new server: create the first organization and its owner, and sign in")
    .option("--url <url>", "server URL (default: CLOAKROOM_URL or the saved one)")
    .requiredOption("--org <slug>", "slug of the first organization")
    .option("--email <email>", "the owner's email (prompted on a terminal)")
    .option("--json", "print the API's answer without the token")
    .action(async (opts: { url?: string; org: string; email?: string; json?: boolean }) => {
      const { session, client, email, password } = await credentials(io, opts, {
        server: "the server to set up",
        newPassword: true,
      });
      const result = await client.setup({ org: opts.org, email, password });
      await writeConfig(session.configPath, {
        url: client.baseUrl,
        token: result.token,
        org: result.org.slug,
      });
      if (opts.json) {
        const { token: _token, ...rest } = result;
        printJson(io, rest);
        return;
      }
      io.stdout.write(
        `set up organization ${result.org.slug}; signed in as ${result.user.email} (session saved in ${session.configPath})\n`,
      );
    });

  program
    .command("login")
    .description("sign in and save the session in the config file")
    .option("--url <url>", "server URL (default: CLOAKROOM_URL or the saved one)")
    .option("--email <email>", "your email (prompted on a terminal)")
    .option("--org <slug>", "default organization for later commands")
    .action(async (opts: { url?: string; email?: string; org?: string }) => {
      const { session, client, email, password } = await credentials(io, opts, {
        server: "the server to sign in to",
        newPassword: false,
      });
      const { token } = await client.login({ email, password });
      const orgs = await client.withToken(token).orgs.list();
      const sameServer = session.saved.url === client.baseUrl;
      let org = opts.org || (sameServer ? session.saved.org : undefined);
      if (org && !orgs.some((o) => o.slug === org)) {
        if (opts.org) throw new CliError(`you are not a member of the organization ${opts.org}`);
        org = undefined;
      }
      if (!org && orgs.length === 1) org = orgs[0]?.slug;
      await writeConfig(session.configPath, { url: client.baseUrl, token, ...(org ? { org } : {}) });
      io.stdout.write(
        `signed in to ${client.baseUrl} as ${email}${org ? ` (organization ${org})` : ""}; session saved in ${session.configPath}\n`,
      );
    });

  registerInvitationAcceptance(program, io);
  registerSessionEnd(program, io);
}

/** `accept-invite`: an invitation link or token, then a password for a new account or the saved session. */
function registerInvitationAcceptance(program: Command, io: CliIo): void {
  program
    .command("accept-invite <invitation>")
    .description(
      "join an organization you were invited to (invitation: the link or the token); a new account chooses its password here",
    )
    .option("--url <url>", "server URL (default: the link's, CLOAKROOM_URL or the saved one)")
    .option(
      "--existing-account",
      "you already have an account: accept with your saved session (sign in first with `cloakroom login`)",
    )
    .action(async (invitation: string, opts: { url?: string; existingAccount?: boolean }) => {
      const session = await loadSession(io);
      const { token, linkBase } = parseInvitation(invitation);
      const url = opts.url || linkBase || session.url;
      if (!url) throw new CliError("pass --url URL (the server that invited you)");
      const anonymous = clientFor(url, undefined);
      let result: Awaited<ReturnType<typeof anonymous.invitations.accept>>;
      if (opts.existingAccount) {
        const own = session.saved.url === anonymous.baseUrl ? session.token : undefined;
        if (!own)
          throw new CliError(
            `sign in to ${anonymous.baseUrl} first: cloakroom login --url ${anonymous.baseUrl}`,
          );
        result = await anonymous.withToken(own).invitations.accept({ token });
      } else {
        io.stderr.write("Choose the password of your new account.\n");
        const password = await readPassword(io, { confirm: true });
        result = await anonymous.invitations.accept({ token, password });
      }
      await writeConfig(session.configPath, {
        url: anonymous.baseUrl,
        token: result.token,
        org: result.org.slug,
      });
      io.stdout.write(
        `joined ${result.org.slug} as ${result.org.role}; signed in to ${anonymous.baseUrl} (session saved in ${session.configPath})\n`,
      );
    });
}

/** `logout` and `whoami`. */
function registerSessionEnd(program: Command, io: CliIo): void {
  program
    .command("logout")
    .description("end the saved session on the server and remove it from the config file")
    .action(async () => {
      const session = await loadSession(io);
      const { token, url } = session.saved;
      if (token && url) {
        try {
          await clientFor(url, token).logout();
        } catch (error) {
          // An expired or already revoked session is logged out; anything else is worth saying.
          if (!(error instanceof CloakroomApiError && error.status === 401)) {
            io.stderr.write(`warning: the server did not end the session (${(error as Error).message})\n`);
          }
        }
      }
      const { token: _token, ...rest } = session.saved;
      await writeConfig(session.configPath, rest);
      io.stdout.write(token ? "signed out\n" : "not signed in\n");
    });

  program
    .command("whoami")
    .description("show who the saved session or CLOAKROOM_TOKEN is, and its organizations")
    .option("--json", "print the API's JSON")
    .action(async (opts: { json?: boolean }) => {
      const { client, session } = await signedInClient(io);
      const me = await client.me();
      if (opts.json) return printJson(io, me);
      printFields(io, [
        ["server", client.baseUrl],
        ["user", me.user ? me.user.email : me.token ? `API token ${me.token.name} (${me.token.role})` : "?"],
        ["organizations", me.orgs.map((o) => `${o.slug} (${o.role})`).join(", ") || "none"],
        ["default org", io.env.CLOAKROOM_ORG || session.saved.org || "none"],
      ]);
    });
}

/**
 * The server, email and password of `setup` (a new password, asked twice on a terminal) and `login`:
 * from the flags, the saved session, standard input or the prompts.
 */
async function credentials(
  io: CliIo,
  opts: { url?: string; email?: string },
  purpose: { server: string; newPassword: boolean },
) {
  const session = await loadSession(io);
  const url = opts.url || session.url;
  if (!url) throw new CliError(`pass --url URL (${purpose.server})`);
  const email = await readEmail(io, opts.email);
  const password = await readPassword(io, { confirm: purpose.newPassword });
  return { session, email, password, client: clientFor(url, undefined) };
}

const INVITE_TOKEN = /crk_i_[A-Za-z0-9_-]{43}/;

/** The token of an invitation link (`https://host/invite#token=crk_i_...`) or of a bare token. */
export function parseInvitation(text: string): { token: string; linkBase: string | undefined } {
  const token = INVITE_TOKEN.exec(text)?.[0];
  if (!token) throw new CliError("that is not an invitation link or token (it contains no crk_i_... token)");
  let linkBase: string | undefined;
  if (/^https?:\/\//i.test(text)) {
    const url = new URL(text);
    const at = url.pathname.lastIndexOf("/invite");
    linkBase = `${url.origin}${at > 0 ? url.pathname.slice(0, at) : ""}`;
  }
  return { token, linkBase };
}

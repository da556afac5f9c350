/**
 * What a command needs to reach the server: URL and token (CLOAKROOM_URL / CLOAKROOM_TOKEN override the
 * config file), the organization (--org, CLOAKROOM_ORG, the saved default, or the caller's only one) and
 * the project (--project or CLOAKROOM_PROJECT).
 */
import type { Command } from "commander";
import { type CloakroomClient, createClient, type ProjectScope, type Scope } from "../client/index.js";
import { version } from "../version.js";
import { configPath, readConfig, type SavedConfig } from "./config-file.js";
import { CliError, type CliIo } from "./io.js";

export interface Session {
  configPath: string;
  saved: SavedConfig;
  url: string | undefined;
  token: string | undefined;
}

export async function loadSession(io: CliIo): Promise<Session> {
  const path = configPath(io.env);
  const saved = await readConfig(path);
  return {
    configPath: path,
    saved,
    url: io.env.CLOAKROOM_URL || saved.url,
    token: io.env.CLOAKROOM_TOKEN || saved.token,
  };
}

export function clientFor(url: string, token: string | undefined): CloakroomClient {
  try {
    // Generous: a test run may legitimately take up to its consumer's 30 s timeout, plus retries.
    return createClient({
      baseUrl: url,
      token,
      headers: { "user-agent": `cloakroom-cli/${version}` },
      timeoutMs: 120_000,
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** A client with a URL and a token, or a message saying how to get them. */
export async function signedInClient(io: CliIo): Promise<SignedIn> {
  const session = await loadSession(io);
  if (!session.url || !session.token) {
    throw new CliError(
      "not signed in: run `cloakroom login --url URL --email EMAIL` (or set CLOAKROOM_URL and CLOAKROOM_TOKEN)",
    );
  }
  return { client: clientFor(session.url, session.token), session };
}

/** `--json`: print the API's JSON as is instead of the human form. */
export interface JsonFlag {
  json?: boolean;
}

export interface OrgFlags extends JsonFlag {
  org?: string;
}

export interface ScopeFlags extends OrgFlags {
  project?: string;
}

const JSON_HELP = "print the API's JSON";

/** `--org` then `--json` (with its own help, or none when `json` is false): the flags of an org's commands. */
export function withOrg(cmd: Command, json: string | false = JSON_HELP): Command {
  cmd.option("--org <slug>", "organization (default: the saved or only one)");
  return json === false ? cmd : cmd.option("--json", json);
}

/** `--org`, `--project` and `--json`, the flags of every command on a project's consumers and events. */
export function withProject(cmd: Command, projectHelp = "project (default: CLOAKROOM_PROJECT)"): Command {
  return withOrg(cmd, false).option("--project <slug>", projectHelp).option("--json", JSON_HELP);
}

type SignedIn = { client: CloakroomClient; session: Session };

/** A signed-in client and what `resolve` finds with it, under `key`: the organization, a scope, a project. */
async function signedInWith<K extends string, R>(
  io: CliIo,
  key: K,
  resolve: (client: CloakroomClient, session: Session) => Promise<R>,
): Promise<SignedIn & Record<K, R>> {
  const { client, session } = await signedInClient(io);
  // A computed key widens to `string` for TypeScript; `key` is exactly K.
  return { client, session, [key]: await resolve(client, session) } as SignedIn & Record<K, R>;
}

/** A signed-in client and the organization the flags name. */
export const orgContext = (io: CliIo, flags: OrgFlags) =>
  signedInWith(io, "org", (client, session) => resolveOrg(io, client, session, flags.org));

/** A signed-in client and the scope the flags name: the organization's, or a project's with --project. */
export const scopeContext = (io: CliIo, flags: ScopeFlags) =>
  signedInWith(io, "scope", (client, session) => resolveScope(io, client, session, flags));

/** A signed-in client and the project the flags (or CLOAKROOM_PROJECT) name. */
export const projectContext = (io: CliIo, flags: ScopeFlags) =>
  signedInWith(io, "scope", (client, session) => resolveProjectScope(io, client, session, flags));

export async function resolveOrg(
  io: CliIo,
  client: CloakroomClient,
  session: Session,
  flag: string | undefined,
): Promise<string> {
  const explicit = flag || io.env.CLOAKROOM_ORG || session.saved.org;
  if (explicit) return explicit;
  const orgs = await client.orgs.list();
  if (orgs.length === 1 && orgs[0]) return orgs[0].slug;
  if (orgs.length === 0)
    throw new CliError("you belong to no organization: create one with `cloakroom orgs create`");
  throw new CliError(
    `you belong to ${orgs.length} organizations (${orgs.map((o) => o.slug).join(", ")}): pass --org`,
  );
}

export async function resolveScope(
  io: CliIo,
  client: CloakroomClient,
  session: Session,
  flags: ScopeFlags,
): Promise<Scope> {
  const org = await resolveOrg(io, client, session, flags.org);
  const project = flags.project || undefined;
  return project ? { org, project } : { org };
}

export async function resolveProjectScope(
  io: CliIo,
  client: CloakroomClient,
  session: Session,
  flags: ScopeFlags,
): Promise<ProjectScope> {
  const project = flags.project || io.env.CLOAKROOM_PROJECT;
  if (!project)
    throw new CliError("this command needs a project: pass --project SLUG (or set CLOAKROOM_PROJECT)");
  return { org: await resolveOrg(io, client, session, flags.org), project };
}

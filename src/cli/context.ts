/**
 * What a command needs to reach the server: URL and token (CLOAKROOM_URL / CLOAKROOM_TOKEN override the
 * config file), the organization (--org, CLOAKROOM_ORG, the saved default, or the caller's only one) and
 * the project (--project or CLOAKROOM_PROJECT).
 */
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
export async function signedInClient(io: CliIo): Promise<{ client: CloakroomClient; session: Session }> {
  const session = await loadSession(io);
  if (!session.url || !session.token) {
    throw new CliError(
      "not signed in: run `cloakroom login --url URL --email EMAIL` (or set CLOAKROOM_URL and CLOAKROOM_TOKEN)",
    );
  }
  return { client: clientFor(session.url, session.token), session };
}

export interface ScopeFlags {
  org?: string;
  project?: string;
}

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

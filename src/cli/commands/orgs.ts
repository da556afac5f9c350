/** `orgs`, `projects`, `members`, `tokens`, `settings`: organizations and who may use them. */
import { type Command, Option } from "commander";
import type { CloakroomClient, Role, UpdateSettingsInput } from "../../client/index.js";
import { type OrgFlags, orgContext, signedInClient, withOrg } from "../context.js";
import { CliError, type CliIo } from "../io.js";
import { type Columns, printFields, printJson, shortTime, time } from "../output.js";
import { listAction, printResult } from "../verbs.js";

const ROLES = ["owner", "admin", "editor", "viewer"];
const roleOption = () => new Option("--role <role>", "role in the organization").choices(ROLES);

export function registerOrgs(program: Command, io: CliIo): void {
  const orgs = program.command("orgs").description("organizations you belong to");
  orgs
    .command("list")
    .description("list your organizations and your role in each")
    .option("--json", "print the API's JSON")
    .action(
      listAction(io, signedInClient, {
        fetch: ({ client }) => client.orgs.list(),
        columns: { SLUG: "slug", NAME: "name", ROLE: "role", CREATED: (o) => shortTime(o.createdAt) },
        empty: () => "no organizations",
      }),
    );
  orgs
    .command("create <slug>")
    .description("create an organization; you become its owner")
    .option("--name <name>", "display name (default: the slug)")
    .option("--json", "print the API's JSON")
    .action(async (slug: string, opts: { name?: string; json?: boolean }) => {
      const { client } = await signedInClient(io);
      const org = await client.orgs.create({ slug, name: opts.name ?? slug });
      printResult(io, opts, org, `created organization ${org.slug}\n`);
    });

  const projects = program.command("projects").description("projects of an organization");
  withOrg(projects.command("list").description("list the organization's projects")).action(
    orgList(io, "projects", { SLUG: "slug", NAME: "name", CREATED: time("createdAt") }),
  );
  withOrg(
    projects
      .command("create <slug>")
      .description("create a project")
      .option("--name <name>", "display name (default: the slug)"),
  ).action(async (slug: string, opts: OrgFlags & { name?: string }) => {
    const { client, org } = await orgContext(io, opts);
    const project = await client.projects.create(org, { slug, name: opts.name ?? slug });
    printResult(io, opts, project, `created project ${project.slug} in ${org}\n`);
  });

  registerMembers(program, io);
  registerTokens(program, io);
  registerSettings(program, io);
}

function registerMembers(program: Command, io: CliIo): void {
  const members = program.command("members").description("people in an organization and their roles");
  withOrg(members.command("list").description("list the members")).action(
    orgList(io, "members", { EMAIL: "email", ROLE: "role", "USER ID": "userId", SINCE: time("createdAt") }),
  );
  oneTimeCommand(members.command("add"), io, {
    description:
      "invite a person: prints a one-time link (or token) to hand them; they choose their own password",
    field: ["--email <email>", "their email"],
    json: "print the API's JSON (it contains the invite token)",
    create: (client, org, opts: OneTimeFlags & { email: string }) =>
      client.members.invite(org, { email: opts.email, role: opts.role }),
    notice: ({ invitation, mailed, inviteUrl }, org) =>
      `invited ${invitation.email} to ${org} as ${invitation.role} (until ${shortTime(invitation.expiresAt)})` +
      `${mailed ? "; the link was mailed to them too" : ""}.\n` +
      "Hand them this once; it is not shown again. They accept with `cloakroom accept-invite`" +
      `${inviteUrl ? " or in the browser" : ""}:\n`,
    secret: (created) => created.inviteUrl ?? created.inviteToken,
  });
  registerInvitations(members, io);
  withOrg(
    members
      .command("update <member>")
      .description("change a member's role (member: user id or email)")
      .addOption(roleOption().makeOptionMandatory()),
  ).action(async (who: string, opts: OrgFlags & { role: Role }) => {
    const { client, org } = await orgContext(io, opts);
    const member = await client.members.update(org, await memberId(client, org, who), { role: opts.role });
    printResult(io, opts, member, `${member.email} is now ${member.role} in ${org}\n`);
  });
  withOrg(
    members.command("remove <member>").description("remove a member (member: user id or email)"),
    false,
  ).action(async (who: string, opts: OrgFlags) => {
    const { client, org } = await orgContext(io, opts);
    await client.members.remove(org, await memberId(client, org, who));
    io.stdout.write(`removed ${who} from ${org}\n`);
  });
}

function registerInvitations(members: Command, io: CliIo): void {
  const invitations = members.command("invitations").description("pending invitations");
  withOrg(invitations.command("list").description("list pending invitations (never their tokens)")).action(
    orgList(
      io,
      "invitations",
      { EMAIL: "email", ROLE: "role", ID: "id", INVITED: createdBy, EXPIRES: time("expiresAt") },
      "pending invitations",
    ),
  );
  withOrg(
    invitations
      .command("revoke <invitation>")
      .description("revoke a pending invitation (invitation: its id or email); its link stops working"),
    false,
  ).action(async (which: string, opts: OrgFlags) => {
    const { client, org } = await orgContext(io, opts);
    let id = which;
    if (which.includes("@")) {
      const found = (await client.invitations.list(org)).find(
        (i) => i.email.toLowerCase() === which.toLowerCase(),
      );
      if (!found) throw new CliError(`no pending invitation for ${which} in ${org}`);
      id = found.id;
    }
    await client.invitations.revoke(org, id);
    io.stdout.write(`revoked the invitation of ${which} to ${org}\n`);
  });
}

/**
 * A command whose answer holds something shown once (an invitation link, an API token): a required field and
 * a role; with --json the API's answer, else a notice on standard error and the secret alone on standard
 * output, so `$(...)` captures exactly it.
 */
function oneTimeCommand<T, F extends OneTimeFlags>(
  cmd: Command,
  io: CliIo,
  spec: {
    description: string;
    field: [flags: string, help: string];
    json: string;
    create(client: CloakroomClient, org: string, opts: F): Promise<T>;
    notice(created: T, org: string): string;
    secret(created: T): string;
  },
): void {
  const [flags, help] = spec.field;
  withOrg(
    cmd
      .description(spec.description)
      .requiredOption(flags, help)
      .addOption(roleOption().makeOptionMandatory()),
    spec.json,
  ).action(async (opts: F) => {
    const { client, org } = await orgContext(io, opts);
    const created = await spec.create(client, org, opts);
    if (opts.json) return printJson(io, created);
    io.stderr.write(spec.notice(created, org));
    io.stdout.write(`${spec.secret(created)}\n`);
  });
}

interface OneTimeFlags extends OrgFlags {
  role: Role;
}

type OrgArea = "projects" | "members" | "invitations" | "tokens";
type Row<K extends OrgArea> = Awaited<ReturnType<CloakroomClient[K]["list"]>>[number];

/** `list` of an organization's projects, members, invitations or tokens: a table, or the API's JSON. */
function orgList<K extends OrgArea>(io: CliIo, area: K, columns: Columns<Row<K>>, what: string = area) {
  return listAction(io, orgContext, {
    fetch: ({ client, org }) => client[area].list(org) as Promise<Row<K>[]>,
    columns,
    empty: ({ org }) => `no ${what} in ${org}`,
  });
}

/** When and by whom an invitation or a token was made. */
const createdBy = (row: { createdAt: string; createdBy: string }) =>
  `${shortTime(row.createdAt)} by ${row.createdBy}`;

async function memberId(client: CloakroomClient, org: string, who: string): Promise<string> {
  if (!who.includes("@")) return who;
  const found = (await client.members.list(org)).find((m) => m.email.toLowerCase() === who.toLowerCase());
  if (!found) throw new CliError(`${who} is not a member of ${org}`);
  return found.userId;
}

function registerTokens(program: Command, io: CliIo): void {
  const tokens = program.command("tokens").description("API tokens: machine members with a role");
  withOrg(
    tokens.command("list").description("list the organization's API tokens (never their values)"),
  ).action(
    orgList(
      io,
      "tokens",
      { ID: "id", NAME: "name", ROLE: "role", CREATED: createdBy, "LAST USED": time("lastUsedAt") },
      "API tokens",
    ),
  );
  oneTimeCommand(tokens.command("create"), io, {
    description: "create an API token; it is printed once, on standard output",
    field: ["--name <name>", "what the token is for"],
    json: "print the API's JSON (it contains the token)",
    create: (client, org, opts: OneTimeFlags & { name: string }) =>
      client.tokens.create(org, { name: opts.name, role: opts.role }),
    notice: (created) =>
      `created API token ${created.name} (id ${created.id}, role ${created.role}); copy it now, it is not shown again:\n`,
    secret: (created) => created.token,
  });
  withOrg(
    tokens.command("delete <token>").description("revoke an API token (token: its id or name)"),
    false,
  ).action(async (which: string, opts: OrgFlags) => {
    const { client, org } = await orgContext(io, opts);
    const list = await client.tokens.list(org);
    const byId = list.find((t) => t.id === which);
    const byName = list.filter((t) => t.name === which);
    if (!byId && byName.length > 1) {
      throw new CliError(
        `${byName.length} tokens are named ${which}: pass the id (see \`cloakroom tokens list\`)`,
      );
    }
    await client.tokens.delete(org, byId?.id ?? byName[0]?.id ?? which);
    io.stdout.write(`revoked API token ${which}\n`);
  });
}

function registerSettings(program: Command, io: CliIo): void {
  const settings = program.command("settings").description("organization settings");
  withOrg(settings.command("get").description("show the organization's settings")).action(
    async (opts: OrgFlags) => {
      const { client, org } = await orgContext(io, opts);
      const s = await client.settings.get(org);
      if (opts.json) return printJson(io, s);
      printFields(io, [
        ["naming policy", s.namingPolicy],
        ["editors manage secrets", String(s.editorsManageSecrets)],
        ["editors compute with restricted", String(s.editorsComputeWithRestricted)],
        ["versions kept", String(s.versionsKept)],
      ]);
    },
  );
  const bool = (flag: string, help: string) => new Option(`${flag} <bool>`, help).choices(["true", "false"]);
  withOrg(
    settings
      .command("set")
      .description("change settings (owners and admins)")
      .addOption(new Option("--naming-policy <policy>", "secret names").choices(["upper_snake", "alias"]))
      .addOption(bool("--editors-manage-secrets", "let editors create and change secrets"))
      .addOption(
        bool("--editors-compute-with-restricted", "let editors hand restricted secrets to logic functions"),
      )
      .option("--versions-kept <n>", "versions kept for rollback (1-100)", (v) =>
        integer(v, "--versions-kept"),
      ),
  ).action(
    async (
      opts: OrgFlags & {
        namingPolicy?: "upper_snake" | "alias";
        editorsManageSecrets?: string;
        editorsComputeWithRestricted?: string;
        versionsKept?: number;
      },
    ) => {
      const patch: UpdateSettingsInput = {};
      if (opts.namingPolicy) patch.namingPolicy = opts.namingPolicy;
      if (opts.editorsManageSecrets) patch.editorsManageSecrets = opts.editorsManageSecrets === "true";
      if (opts.editorsComputeWithRestricted) {
        patch.editorsComputeWithRestricted = opts.editorsComputeWithRestricted === "true";
      }
      if (opts.versionsKept !== undefined) patch.versionsKept = opts.versionsKept;
      if (Object.keys(patch).length === 0) {
        throw new CliError(
          "nothing to change: pass --naming-policy, --editors-manage-secrets, " +
            "--editors-compute-with-restricted or --versions-kept",
        );
      }
      const { client, org } = await orgContext(io, opts);
      const s = await client.settings.update(org, patch);
      printResult(
        io,
        opts,
        s,
        `settings of ${org}: naming policy ${s.namingPolicy}, editors manage secrets ${s.editorsManageSecrets}, ` +
          `editors compute with restricted ${s.editorsComputeWithRestricted}, versions kept ${s.versionsKept}\n`,
      );
    },
  );
}

export function integer(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number`);
  return Number(value);
}

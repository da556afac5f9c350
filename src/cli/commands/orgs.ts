/** `orgs`, `projects`, `members`, `tokens`, `settings`: organizations and who may use them. */
import { type Command, Option } from "commander";
import type { CloakroomClient, Role, UpdateSettingsInput } from "../../client/index.js";
import { resolveOrg, type Session, signedInClient } from "../context.js";
import { CliError, type CliIo } from "../io.js";
import { printFields, printJson, printTable, shortTime } from "../output.js";

const ROLES = ["owner", "admin", "editor", "viewer"];
const roleOption = () => new Option("--role <role>", "role in the organization").choices(ROLES);

interface OrgFlags {
  org?: string;
  json?: boolean;
}

async function orgContext(
  io: CliIo,
  flags: OrgFlags,
): Promise<{ client: CloakroomClient; org: string; session: Session }> {
  const { client, session } = await signedInClient(io);
  return { client, session, org: await resolveOrg(io, client, session, flags.org) };
}

export function registerOrgs(program: Command, io: CliIo): void {
  const orgs = program.command("orgs").description("organizations you belong to");
  orgs
    .command("list")
    .description("list your organizations and your role in each")
    .option("--json", "print the API's JSON")
    .action(async (opts: OrgFlags) => {
      const { client } = await signedInClient(io);
      const list = await client.orgs.list();
      if (opts.json) return printJson(io, list);
      printTable(
        io,
        list,
        [
          { header: "SLUG", get: (o) => o.slug },
          { header: "NAME", get: (o) => o.name },
          { header: "ROLE", get: (o) => o.role },
          { header: "CREATED", get: (o) => shortTime(o.createdAt) },
        ],
        "no organizations",
      );
    });
  orgs
    .command("create <slug>")
    .description("create an organization; you become its owner")
    .option("--name <name>", "display name (default: the slug)")
    .option("--json", "print the API's JSON")
    .action(async (slug: string, opts: { name?: string; json?: boolean }) => {
      const { client } = await signedInClient(io);
      const org = await client.orgs.create({ slug, name: opts.name ?? slug });
      if (opts.json) return printJson(io, org);
      io.stdout.write(`created organization ${org.slug}\n`);
    });

  const projects = program.command("projects").description("projects of an organization");
  projects
    .command("list")
    .description("list the organization's projects")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON")
    .action(async (opts: OrgFlags) => {
      const { client, org } = await orgContext(io, opts);
      const list = await client.projects.list(org);
      if (opts.json) return printJson(io, list);
      printTable(
        io,
        list,
        [
          { header: "SLUG", get: (p) => p.slug },
          { header: "NAME", get: (p) => p.name },
          { header: "CREATED", get: (p) => shortTime(p.createdAt) },
        ],
        `no projects in ${org}`,
      );
    });
  projects
    .command("create <slug>")
    .description("create a project")
    .option("--name <name>", "display name (default: the slug)")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON")
    .action(async (slug: string, opts: OrgFlags & { name?: string }) => {
      const { client, org } = await orgContext(io, opts);
      const project = await client.projects.create(org, { slug, name: opts.name ?? slug });
      if (opts.json) return printJson(io, project);
      io.stdout.write(`created project ${project.slug} in ${org}\n`);
    });

  registerMembers(program, io);
  registerTokens(program, io);
  registerSettings(program, io);
}

function registerMembers(program: Command, io: CliIo): void {
  const members = program.command("members").description("people in an organization and their roles");
  members
    .command("list")
    .description("list the members")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON")
    .action(async (opts: OrgFlags) => {
      const { client, org } = await orgContext(io, opts);
      const list = await client.members.list(org);
      if (opts.json) return printJson(io, list);
      printTable(
        io,
        list,
        [
          { header: "EMAIL", get: (m) => m.email },
          { header: "ROLE", get: (m) => m.role },
          { header: "USER ID", get: (m) => m.userId },
          { header: "SINCE", get: (m) => shortTime(m.createdAt) },
        ],
        `no members in ${org}`,
      );
    });
  members
    .command("add")
    .description(
      "invite a person: prints a one-time link (or token) to hand them; they choose their own password",
    )
    .requiredOption("--email <email>", "their email")
    .addOption(roleOption().makeOptionMandatory())
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON (it contains the invite token)")
    .action(async (opts: OrgFlags & { email: string; role: Role }) => {
      const { client, org } = await orgContext(io, opts);
      const created = await client.members.invite(org, { email: opts.email, role: opts.role });
      if (opts.json) return printJson(io, created);
      const { invitation } = created;
      const mailed = created.mailed ? "; the link was mailed to them too" : "";
      io.stderr.write(
        `invited ${invitation.email} to ${org} as ${invitation.role} (until ${shortTime(invitation.expiresAt)})${mailed}.\n` +
          "Hand them this once; it is not shown again. They accept with `cloakroom accept-invite`" +
          `${created.inviteUrl ? " or in the browser" : ""}:\n`,
      );
      io.stdout.write(`${created.inviteUrl ?? created.inviteToken}\n`);
    });
  const invitations = members.command("invitations").description("pending invitations");
  invitations
    .command("list")
    .description("list pending invitations (never their tokens)")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON")
    .action(async (opts: OrgFlags) => {
      const { client, org } = await orgContext(io, opts);
      const list = await client.invitations.list(org);
      if (opts.json) return printJson(io, list);
      printTable(
        io,
        list,
        [
          { header: "EMAIL", get: (i) => i.email },
          { header: "ROLE", get: (i) => i.role },
          { header: "ID", get: (i) => i.id },
          { header: "INVITED", get: (i) => `${shortTime(i.createdAt)} by ${i.createdBy}` },
          { header: "EXPIRES", get: (i) => shortTime(i.expiresAt) },
        ],
        `no pending invitations in ${org}`,
      );
    });
  invitations
    .command("revoke <invitation>")
    .description("revoke a pending invitation (invitation: its id or email); its link stops working")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .action(async (which: string, opts: OrgFlags) => {
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
  members
    .command("update <member>")
    .description("change a member's role (member: user id or email)")
    .addOption(roleOption().makeOptionMandatory())
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON")
    .action(async (who: string, opts: OrgFlags & { role: Role }) => {
      const { client, org } = await orgContext(io, opts);
      const userId = await memberId(client, org, who);
      const member = await client.members.update(org, userId, { role: opts.role });
      if (opts.json) return printJson(io, member);
      io.stdout.write(`${member.email} is now ${member.role} in ${org}\n`);
    });
  members
    .command("remove <member>")
    .description("remove a member (member: user id or email)")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .action(async (who: string, opts: OrgFlags) => {
      const { client, org } = await orgContext(io, opts);
      await client.members.remove(org, await memberId(client, org, who));
      io.stdout.write(`removed ${who} from ${org}\n`);
    });
}

async function memberId(client: CloakroomClient, org: string, who: string): Promise<string> {
  if (!who.includes("@")) return who;
  const found = (await client.members.list(org)).find((m) => m.email.toLowerCase() === who.toLowerCase());
  if (!found) throw new CliError(`${who} is not a member of ${org}`);
  return found.userId;
}

function registerTokens(program: Command, io: CliIo): void {
  const tokens = program.command("tokens").description("API tokens: machine members with a role");
  tokens
    .command("list")
    .description("list the organization's API tokens (never their values)")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON")
    .action(async (opts: OrgFlags) => {
      const { client, org } = await orgContext(io, opts);
      const list = await client.tokens.list(org);
      if (opts.json) return printJson(io, list);
      printTable(
        io,
        list,
        [
          { header: "ID", get: (t) => t.id },
          { header: "NAME", get: (t) => t.name },
          { header: "ROLE", get: (t) => t.role },
          { header: "CREATED", get: (t) => `${shortTime(t.createdAt)} by ${t.createdBy}` },
          { header: "LAST USED", get: (t) => shortTime(t.lastUsedAt) },
        ],
        `no API tokens in ${org}`,
      );
    });
  tokens
    .command("create")
    .description("create an API token; it is printed once, on standard output")
    .requiredOption("--name <name>", "what the token is for")
    .addOption(roleOption().makeOptionMandatory())
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON (it contains the token)")
    .action(async (opts: OrgFlags & { name: string; role: Role }) => {
      const { client, org } = await orgContext(io, opts);
      const created = await client.tokens.create(org, { name: opts.name, role: opts.role });
      if (opts.json) return printJson(io, created);
      io.stderr.write(
        `created API token ${created.name} (id ${created.id}, role ${created.role}); copy it now, it is not shown again:\n`,
      );
      io.stdout.write(`${created.token}\n`);
    });
  tokens
    .command("delete <token>")
    .description("revoke an API token (token: its id or name)")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .action(async (which: string, opts: OrgFlags) => {
      const { client, org } = await orgContext(io, opts);
      const list = await client.tokens.list(org);
      const byId = list.find((t) => t.id === which);
      const byName = list.filter((t) => t.name === which);
      if (!byId && byName.length > 1) {
        throw new CliError(
          `${byName.length} tokens are named ${which}: pass the id (see \`cloakroom tokens list\`)`,
        );
      }
      const id = byId?.id ?? byName[0]?.id ?? which;
      await client.tokens.delete(org, id);
      io.stdout.write(`revoked API token ${which}\n`);
    });
}

function registerSettings(program: Command, io: CliIo): void {
  const settings = program.command("settings").description("organization settings");
  settings
    .command("get")
    .description("show the organization's settings")
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON")
    .action(async (opts: OrgFlags) => {
      const { client, org } = await orgContext(io, opts);
      const s = await client.settings.get(org);
      if (opts.json) return printJson(io, s);
      printFields(io, [
        ["naming policy", s.namingPolicy],
        ["editors manage secrets", String(s.editorsManageSecrets)],
        ["editors compute with restricted", String(s.editorsComputeWithRestricted)],
        ["versions kept", String(s.versionsKept)],
      ]);
    });
  settings
    .command("set")
    .description("change settings (owners and admins)")
    .addOption(new Option("--naming-policy <policy>", "secret names").choices(["upper_snake", "alias"]))
    .addOption(
      new Option("--editors-manage-secrets <bool>", "let editors create and change secrets").choices([
        "true",
        "false",
      ]),
    )
    .addOption(
      new Option(
        "--editors-compute-with-restricted <bool>",
        "let editors hand restricted secrets to logic functions",
      ).choices(["true", "false"]),
    )
    .option("--versions-kept <n>", "versions kept for rollback (1-100)", (v) => integer(v, "--versions-kept"))
    .option("--org <slug>", "organization (default: the saved or only one)")
    .option("--json", "print the API's JSON")
    .action(
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
        if (opts.json) return printJson(io, s);
        io.stdout.write(
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

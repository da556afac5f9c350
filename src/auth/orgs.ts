/** Organizations: creating one (its creator is its owner), listing the caller's, and their settings. */
import { AppError } from "../errors.js";
import {
  type AuthParts,
  allowedInput,
  callerOf,
  newOrg,
  orgView,
  parseInput,
  requireActor,
  settingsView,
} from "./parts.js";
import {
  type CreateOrgInput,
  createOrgBody,
  type OrgView,
  type SettingsPatch,
  type SettingsView,
  updateSettingsBody,
} from "./schema.js";
import { me } from "./sign-in.js";
import * as q from "./store.js";
import type { OrgAccess, RequestContext } from "./types.js";

const SETTINGS = [
  "namingPolicy",
  "editorsManageSecrets",
  "editorsComputeWithRestricted",
  "versionsKept",
] as const;

export async function createOrg(
  p: AuthParts,
  ctx: RequestContext,
  rawInput: CreateOrgInput,
): Promise<OrgView> {
  const actor = requireActor(ctx);
  const input = parseInput(createOrgBody, rawInput);
  if (actor.type === "token") {
    return p.anonymous.refuse(
      callerOf(ctx, actor.orgId),
      { action: "org.create", target: { type: "org", name: input.slug } },
      { reason: "api_token", message: "an API token belongs to one organization and cannot create another" },
    );
  }
  const org = newOrg(input.slug, input.name, p.iso());
  const change = {
    action: "org.create",
    target: { type: "org", id: org.id, name: org.slug },
    unique: { code: "name_taken", message: `organization slug ${org.slug} is taken` },
  } as const;
  await p.anonymous(callerOf(ctx, org.id), change, async (tx, entry) => {
    await q.insertOrg(tx, org);
    await q.insertMember(tx, { orgId: org.id, userId: actor.userId, role: "owner", at: org.createdAt });
    entry.details = { name: org.name };
  });
  return orgView(org, "owner");
}

export async function listOrgs(p: AuthParts, ctx: RequestContext): Promise<OrgView[]> {
  return (await me(p, ctx)).orgs;
}

export async function getSettings(p: AuthParts, access: OrgAccess): Promise<SettingsView> {
  await p.audited.authorize(access, { action: "org.read" });
  return settingsView(access.org);
}

export async function updateSettings(
  p: AuthParts,
  access: OrgAccess,
  rawPatch: SettingsPatch,
): Promise<SettingsView> {
  const change = {
    action: "org.settings.update",
    target: { type: "org", id: access.org.id, name: access.org.slug },
  } as const;
  const patch = await allowedInput(p, access, change, updateSettingsBody, rawPatch);
  const view = await p.audited(access, change, async (tx, entry) => {
    const before = await q.orgById(tx, access.org.id);
    if (!before) throw new AppError("not_found", `organization ${access.org.slug} not found`);
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of SETTINGS) {
      const to = patch[key];
      if (to !== undefined && to !== before[key]) changes[key] = { from: before[key], to };
    }
    entry.record = Object.keys(changes).length > 0;
    if (!entry.record) return settingsView(before);
    await q.updateOrgSettings(tx, access.org.id, patch);
    await p.lookups.changed(tx);
    entry.details = { changes };
    return settingsView({ ...before, ...patch });
  });
  p.lookups.drop(); // again after commit: a lookup in between could have read the old row
  return view;
}

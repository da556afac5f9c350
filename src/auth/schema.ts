/**
 * The auth API's boundary: validators for slugs, emails, names and passwords (pure, property-tested), the
 * zod schemas built on them, and the answer shapes that feed the OpenAPI document.
 */
import { z } from "zod";
import { roles } from "./types.js";

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const MAX_EMAIL = 254;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 1024;
export const MAX_NAME = 200;

export function isValidSlug(text: string): boolean {
  return SLUG_PATTERN.test(text);
}

// RFC 5322 dot-atom local part (no quoted strings), DNS labels for the domain, at least one dot.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The address lowercased, or null when it is not one Cloakroom accepts. */
export function normalizeEmail(text: string): string | null {
  if (text.length > MAX_EMAIL) return null;
  const at = text.lastIndexOf("@");
  if (at <= 0 || at > 64) return null;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (!LOCAL_PART.test(local)) return null;
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return null;
  // The top-level domain is never all digits, which keeps "a@1.2.3.4"-style host addresses out.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return null;
  return text.toLowerCase();
}

// Control characters, line and paragraph separators, and bidirectional overrides, which can make a name
// display as something else in the console or a terminal.
const UNSAFE_IN_NAME = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export function isValidName(text: string): boolean {
  return text.length >= 1 && text.length <= MAX_NAME && !UNSAFE_IN_NAME.test(text) && text.trim().length > 0;
}

export const slugSchema = z
  .string()
  .regex(SLUG_PATTERN, "must be 1-63 lowercase letters, digits or '-', starting with a letter or digit");
export const emailSchema = z
  .string()
  .trim()
  .max(MAX_EMAIL)
  .refine((s) => normalizeEmail(s) !== null, "must be an email address")
  .transform((s) => s.toLowerCase());
export const passwordSchema = z.string().min(MIN_PASSWORD).max(MAX_PASSWORD);
export const nameSchema = z
  .string()
  .min(1)
  .max(MAX_NAME)
  .refine(isValidName, "must be 1-200 characters without control characters");
export const roleSchema = z.enum(roles);
export const namingPolicySchema = z.enum(["upper_snake", "alias"]);

export const setupBody = z.strictObject({ org: slugSchema, email: emailSchema, password: passwordSchema });
export const loginBody = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(MAX_PASSWORD),
});
export const createOrgBody = z.strictObject({ slug: slugSchema, name: nameSchema });
/** No password: nobody sets another person's password (decision 0120). */
export const inviteMemberBody = z.strictObject({ email: emailSchema, role: roleSchema });
/** `password` for a new account only; an existing account sends its own session instead. */
export const acceptInvitationBody = z.strictObject({
  token: z.string().min(1).max(200),
  password: passwordSchema.optional(),
});
export const updateMemberBody = z.strictObject({ role: roleSchema });
export const createTokenBody = z.strictObject({ name: nameSchema, role: roleSchema });
export const updateSettingsBody = z.strictObject({
  namingPolicy: namingPolicySchema.optional(),
  editorsManageSecrets: z.boolean().optional(),
  editorsComputeWithRestricted: z.boolean().optional(),
  versionsKept: z.number().int().min(1).max(100).optional(),
});
export const createProjectBody = z.strictObject({ slug: slugSchema, name: nameSchema });

export type SetupInput = z.output<typeof setupBody>;
export type LoginInput = z.output<typeof loginBody>;
export type CreateOrgInput = z.output<typeof createOrgBody>;
export type InviteMemberInput = z.output<typeof inviteMemberBody>;
export type AcceptInvitationInput = z.output<typeof acceptInvitationBody>;
export type CreateTokenInput = z.output<typeof createTokenBody>;
export type SettingsPatch = z.output<typeof updateSettingsBody>;
export type CreateProjectInput = z.output<typeof createProjectBody>;

// Path parameters are only bounded here: a malformed slug or id is simply not found (404), like a missing one.
export const orgParams = z.object({ org: z.string().min(1).max(200) });
export const memberParams = orgParams.extend({ userId: z.string().min(1).max(200) });
export const tokenParams = orgParams.extend({ id: z.string().min(1).max(200) });
export const invitationParams = orgParams.extend({ id: z.string().min(1).max(200) });
export const projectParams = orgParams.extend({ project: z.string().min(1).max(200) });

export const userView = z.object({ id: z.string(), email: z.string(), createdAt: z.string() });
export const orgView = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  role: roleSchema,
  createdAt: z.string(),
});
export const memberView = z.object({
  userId: z.string(),
  email: z.string(),
  role: roleSchema,
  createdAt: z.string(),
});
export const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  createdAt: z.string(),
  createdBy: z.string(),
  lastUsedAt: z.string().nullable(),
});
export const createdTokenView = z.object({
  id: z.string(),
  token: z.string(),
  name: z.string(),
  role: roleSchema,
  createdAt: z.string(),
});
export const settingsView = z.object({
  namingPolicy: namingPolicySchema,
  editorsManageSecrets: z.boolean(),
  editorsComputeWithRestricted: z.boolean(),
  versionsKept: z.number().int(),
});
export const projectView = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  createdAt: z.string(),
});
export const invitationView = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  expiresAt: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export const createdInvitationView = z.object({
  invitation: invitationView,
  /** Shown in this answer only; the server keeps its hash. */
  inviteToken: z.string(),
  /** The link to send the invitee; null when CLOAKROOM_PUBLIC_URL is not set. */
  inviteUrl: z.string().nullable(),
  /** True when the mail server took the invitation mail; false when SMTP is off or the mail failed. */
  mailed: z.boolean(),
});
export const setupState = z.object({ setUp: z.boolean() });
export const sessionAnswer = z.object({ token: z.string(), expiresAt: z.string() });
export const setupAnswer = z.object({
  token: z.string(),
  expiresAt: z.string(),
  org: orgView,
  user: userView,
});
export const acceptAnswer = z.object({ token: z.string(), expiresAt: z.string(), org: orgView });
export const meAnswer = z.object({
  user: userView.nullable(),
  token: z.object({ id: z.string(), name: z.string(), role: roleSchema, orgId: z.string() }).optional(),
  orgs: z.array(orgView),
});

export type UserView = z.infer<typeof userView>;
export type OrgView = z.infer<typeof orgView>;
export type MemberView = z.infer<typeof memberView>;
export type InvitationView = z.infer<typeof invitationView>;
export type CreatedInvitationView = z.infer<typeof createdInvitationView>;
export type AcceptAnswer = z.infer<typeof acceptAnswer>;
export type TokenView = z.infer<typeof tokenView>;
export type CreatedTokenView = z.infer<typeof createdTokenView>;
export type SettingsView = z.infer<typeof settingsView>;
export type ProjectView = z.infer<typeof projectView>;
export type MeAnswer = z.infer<typeof meAnswer>;

/**
 * The shapes of Cloakroom's HTTP API v1 (SPEC.md, "HTTP API contract" and "Shapes"). They are the server's
 * own zod schemas, seen as types: `import type` keeps the client free of any runtime dependency on the
 * server, and the one schema that validates a request and documents it in OpenAPI also types the client.
 * Answers are `z.output` of the schema the server answers with; request bodies are `z.input` (defaults may
 * be left out).
 */
import type { z } from "zod";
import type * as audit from "../audit/routes.js";
import type * as auth from "../auth/schema.js";
import type * as consumers from "../consumers/schema.js";
import type * as templates from "../consumers/template-schema.js";
import type * as runs from "../runtime/runner/schema.js";
import type * as secrets from "../secrets/schema.js";
import type { SecretValue } from "../secrets/types.js";

export type { Role } from "../caller.js";
export type { ConsumerRef, SecretType, SecretValue, Visibility } from "../secrets/types.js";
export type NamingPolicy = OrgSettings["namingPolicy"];

export interface UsernamePassword {
  username: string;
  password: string;
}

/** Where a secret lives: the organization (shared by its projects) or one of its projects. */
export interface Scope {
  org: string;
  project?: string;
}

/** Consumers, events and logs always belong to a project. */
export interface ProjectScope {
  org: string;
  project: string;
}

// ---- accounts and organizations -------------------------------------------------------------------------

export type User = z.output<typeof auth.userView>;
/** An organization as the caller sees it, with the caller's role in it. */
export type Org = z.output<typeof auth.orgView>;
export type SetupInput = z.input<typeof auth.setupBody>;
/** Carries a session token for the new owner. */
export type SetupResult = z.output<typeof auth.setupAnswer>;
export type SetupState = z.output<typeof auth.setupState>;
export type LoginInput = z.input<typeof auth.loginBody>;
export type LoginResult = z.output<typeof auth.sessionAnswer>;
/** `user` is null and `token` set when the caller is an API token. */
export type Me = z.output<typeof auth.meAnswer>;
export type CreateOrgInput = z.input<typeof auth.createOrgBody>;
export type Member = z.output<typeof auth.memberView>;
/** An email and a role: nobody sets another person's password. */
export type InviteMemberInput = z.input<typeof auth.inviteMemberBody>;
/** `inviteToken` appears here once; `mailed` says whether the server also mailed the link. */
export type CreatedInvitation = z.output<typeof auth.createdInvitationView>;
/** A pending invitation as listed: never its token. */
export type Invitation = z.output<typeof auth.invitationView>;
/** `password` only for a new account; an existing account accepts with its own session (the client's token). */
export type AcceptInvitationInput = z.input<typeof auth.acceptInvitationBody>;
/** A session for the invitee, and the organization they joined. */
export type AcceptedInvitation = z.output<typeof auth.acceptAnswer>;
/** An API token as listed: never its value. */
export type ApiToken = z.output<typeof auth.tokenView>;
export type CreateTokenInput = z.input<typeof auth.createTokenBody>;
/** The token value appears here once and is never retrievable again. */
export type CreatedToken = z.output<typeof auth.createdTokenView>;
export type OrgSettings = z.output<typeof auth.settingsView>;
export type UpdateSettingsInput = z.input<typeof auth.updateSettingsBody>;
export type Project = z.output<typeof auth.projectView>;
export type CreateProjectInput = z.input<typeof auth.createProjectBody>;

// ---- secrets -------------------------------------------------------------------------------------------

/** Secret metadata (S5). Never a value; `usedBy` is present on `GET .../secrets/{name}`. */
export type SecretMetadata = z.output<typeof secrets.secretMetadataSchema>;
export type SecretPage = z.output<typeof secrets.secretListSchema>;
export type SecretListQuery = { archived?: boolean; q?: string; limit?: number; cursor?: string };
/** The server takes any JSON as `value` and checks it against the type; the client states the shapes. */
export type CreateSecretInput = Omit<z.input<typeof secrets.createSecretBody>, "value"> & {
  value: SecretValue;
};
/** `expectedVersion`: check-and-set; a stale one fails with 409 `version_conflict`. */
export type UpdateSecretValueInput = Omit<z.input<typeof secrets.updateValueBody>, "value"> & {
  value: SecretValue;
};
export type PatchSecretInput = z.input<typeof secrets.patchSecretBody>;
export type SecretVersion = z.output<typeof secrets.versionsSchema>["versions"][number];

export interface RevealedSecret {
  value: SecretValue;
}

// ---- consumers -----------------------------------------------------------------------------------------

export type Integration = z.output<typeof consumers.integrationSchema>;
export type IntegrationRequest = Integration["request"];
/** What `POST`/`PUT .../integrations` take: the integration without its id; defaults fill the rest. */
export type IntegrationInput = z.input<typeof consumers.integrationInputSchema>;
export type LogicFunction = z.output<typeof consumers.logicSchema>;
export type LogicFunctionInput = z.input<typeof consumers.logicInputSchema>;
/** A message template (SPEC X5): subject, body and a webhook or email channel, all Mustache templates. */
export type MessageTemplate = z.output<typeof templates.templateSchema>;
export type MessageTemplateInput = z.input<typeof templates.templateInputSchema>;
/** A template rendered with `[[SENSITIVE]]` for every secret. */
export type TemplatePreview = z.output<typeof templates.previewAnswer>;
/** A macro of the Macro Manager: its category (Secrets, Event), its name and the text it inserts. */
export type Macro = z.output<typeof templates.macrosAnswer>["macros"][number];
export type RunInput = z.input<typeof runs.runNowBody>;
export type TestEvent = NonNullable<NonNullable<RunInput>["event"]>;

// ---- events, logs, audit -------------------------------------------------------------------------------

export type PublishEventInput = z.input<typeof runs.publishEventBody>;
export type PublishedEvent = z.output<typeof runs.publishAnswer>;
/** One consumer run; every string is already redacted by the server (X6). */
export type RunLogEntry = z.output<typeof runs.runLogEntrySchema>;
/** An event as a consumer run received it (SPEC Concepts "Event"). */
export type RunEvent = RunLogEntry["event"];
/** Who did what to which target, and when (A1). Never a value or token. */
export type AuditEntry = z.output<typeof audit.auditEntrySchema>;
/** Whether the organization's audit chain verifies (A3). */
export type AuditVerifyResult = z.output<typeof audit.verifyAnswer>;

export interface LogsQuery {
  consumer?: string;
  limit?: number;
  before?: string;
}

export interface AuditQuery {
  limit?: number;
  before?: string;
}

// ---- errors --------------------------------------------------------------------------------------------

/** SPEC "Bad input": every error answer has this body. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

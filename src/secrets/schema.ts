/**
 * The secrets API's boundary schemas (zod): they validate input, type the handlers and produce the OpenAPI
 * document. Value shapes per type (S2) are checked by `parseValue`, which never echoes the value.
 */
import { z } from "zod";
import { AppError } from "../errors.js";
import { allowedHostsSchema } from "./hosts.js";
import { type SecretType, type SecretValue, secretTypes, visibilities } from "./types.js";

export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_NAME_LENGTH = 128;

const noControl = (s: string) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s);

/** Names are checked against the organization's policy by `checkName`; here only their outer bounds. */
export const secretNameParam = z.string().min(1).max(MAX_NAME_LENGTH);

export const createSecretBody = z
  .object({
    name: secretNameParam,
    type: z.enum(secretTypes),
    value: z.unknown(),
    visibility: z.enum(visibilities).optional(),
    description: z.string().max(2000).refine(noControl, "must not contain control characters").optional(),
    /** S12: hosts the value may be sent to; owners and admins only. */
    allowedHosts: allowedHostsSchema.optional(),
  })
  .strict();

export const updateValueBody = z
  .object({
    value: z.unknown(),
    expectedVersion: z.number().int().min(1).optional(),
  })
  .strict();

/** Name, type and visibility are fixed at creation: naming them here is a 400 (strict object). */
export const patchSecretBody = z
  .object({
    description: z.string().max(2000).refine(noControl, "must not contain control characters").optional(),
    allowedHosts: allowedHostsSchema.optional(),
  })
  .strict()
  .refine((b) => b.description !== undefined || b.allowedHosts !== undefined, {
    message: "give description, allowedHosts or both",
  });

export const rollbackBody = z.object({ version: z.number().int().min(1) }).strict();

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 500;

export const listQuery = z
  .object({
    archived: z.enum(["true", "false"]).optional().default("false"),
    /** Matches names containing it, ignoring case. */
    q: z.string().max(MAX_NAME_LENGTH).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional().default(DEFAULT_PAGE),
    /** `nextCursor` of the previous page. */
    cursor: z.string().min(1).max(400).optional(),
  })
  .strict();

export const orgParams = z.object({ org: z.string().min(1).max(63) });
export const projectParams = orgParams.extend({ project: z.string().min(1).max(63) });
export const orgSecretParams = orgParams.extend({ name: secretNameParam });
export const projectSecretParams = projectParams.extend({ name: secretNameParam });

const consumerRef = z.object({
  kind: z.enum(["integration", "logic", "template", "flow", "installation"]),
  id: z.string(),
  name: z.string(),
});

export const secretMetadataSchema = z.object({
  name: z.string(),
  type: z.enum(secretTypes),
  visibility: z.enum(visibilities),
  description: z.string(),
  allowedHosts: z.array(z.string()),
  scope: z.enum(["org", "project"]),
  overrides: z.boolean().optional(),
  usageCount: z.number().int(),
  usedBy: z.array(consumerRef).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  lastAccessedAt: z.string().nullable(),
  lastAccessedBy: consumerRef.nullable(),
  version: z.number().int(),
  archived: z.boolean(),
});

export const secretListSchema = z.object({
  secrets: z.array(secretMetadataSchema),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export const versionsSchema = z.object({
  versions: z.array(
    z.object({
      version: z.number().int(),
      createdAt: z.string(),
      createdBy: z.string(),
      current: z.boolean(),
    }),
  ),
});
export const revealSchema = z.object({ value: z.unknown() });

const tokenValue = z.string().min(1);
const usernamePasswordValue = z.object({ username: z.string(), password: z.string().min(1) }).strict();
const jsonValue = z.record(z.string(), z.unknown());

/**
 * Validates a value for its type (S2) and returns it with its serialized form. Errors name the field and
 * the expectation only.
 */
export function parseValue(type: SecretType, value: unknown): { value: SecretValue; serialized: string } {
  const schema =
    type === "token" ? tokenValue : type === "username_password" ? usernamePasswordValue : jsonValue;
  const result = schema.safeParse(value);
  if (!result.success) {
    const expected =
      type === "token"
        ? "a non-empty string"
        : type === "username_password"
          ? "an object {username, password} of strings with a non-empty password"
          : "a JSON object";
    throw new AppError("invalid_request", `value must be ${expected} for type ${type}`, {
      fields: [{ field: "body.value", message: `expected ${expected}` }],
    });
  }
  // The input itself is stored, not zod's copy: a record schema rebuilds the object by assignment, and an
  // own "__proto__" key of a JSON value would be lost on the way (found by the property test).
  const serialized = JSON.stringify(value);
  if (Buffer.byteLength(serialized, "utf8") > MAX_VALUE_BYTES) {
    throw new AppError("payload_too_large", "the value is larger than 64 KiB", {
      limitBytes: MAX_VALUE_BYTES,
    });
  }
  return { value: value as SecretValue, serialized };
}

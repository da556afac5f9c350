/**
 * App catalog and installations as the API shows them (SPEC "Shapes": installation, GET /v1/apps) and as
 * clients send them. One zod schema per shape validates input, types the service and feeds the OpenAPI
 * document.
 */
import { z } from "zod";
import { LIMITS, projectParams, secretNames } from "../consumers/schema.js";

/** An installation's name: its key in the API and in `app` steps. Lowercase so that a URL path shows it as is. */
export const INSTALLATION_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

export const installationName = z
  .string()
  .regex(INSTALLATION_NAME, "must be 1-63 lowercase letters, digits, _ or -, starting with a letter");

/** A configuration key or an input key: names a field, and may appear in messages. */
const fieldKey = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a field key (lowercase letters, digits and _)");

/** SPEC's `Str`: a literal string, or `{"expr": "..."}`. */
export const configValue = z.union([
  z.string().max(8 * 1024),
  z.object({ expr: z.string().min(1).max(1024) }).strict(),
]);
export type ConfigValue = z.output<typeof configValue>;

export const installationInputSchema = z.object({
  name: installationName,
  app: z.string().min(1).max(64),
  /** Overrides the app's API base: a proxy, or a local server in tests. */
  baseUrl: z.string().min(1).max(2048).nullable().default(null),
  secrets: secretNames.default([]),
  config: z.record(fieldKey, configValue).default({}),
  /** Each action's request, as an integration's (X2): the default 10 s, at most 30 s. */
  timeoutMs: z.number().int().min(1).max(LIMITS.timeoutMsMax).default(LIMITS.integrationTimeoutMs),
});
export type InstallationInput = z.output<typeof installationInputSchema>;

export const installationSchema = z.object({
  name: z.string(),
  app: z.string(),
  baseUrl: z.string().nullable(),
  secrets: z.array(z.string()),
  config: z.record(z.string(), configValue),
  timeoutMs: z.number(),
  /** On `GET .../installations/{name}`: the flows whose `app` steps use it (they keep it from being deleted). */
  usedBy: z.array(z.object({ kind: z.literal("flow"), id: z.string(), name: z.string() })).optional(),
});
export type Installation = z.output<typeof installationSchema>;

export const installationListSchema = z.object({ installations: z.array(installationSchema) });

export const installationParams = projectParams.extend({ name: z.string().min(1).max(100) });
export const actionParams = installationParams.extend({ action: z.string().min(1).max(100) });

export const actionBody = z
  .object({
    input: z
      .record(
        fieldKey,
        z
          .string()
          .refine(
            (s) => Buffer.byteLength(s, "utf8") <= LIMITS.templateBytesMax,
            `must be at most ${LIMITS.templateBytesMax} bytes`,
          ),
      )
      .default({}),
  })
  .default({ input: {} });
export type ActionBody = z.output<typeof actionBody>;

/** GET /v1/apps: the catalog, fields and action inputs; never a value. */
export const catalogSchema = z.object({
  apps: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      fields: z.array(
        z.object({ key: z.string(), label: z.string(), secret: z.boolean(), required: z.boolean() }),
      ),
      actions: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          input: z.array(z.object({ key: z.string(), label: z.string(), required: z.boolean() })),
        }),
      ),
    }),
  ),
});

/** What `consumers.config` holds for an installation: the fields that are not columns. */
export interface InstallationConfig {
  app: string;
  baseUrl: string | null;
  config: Record<string, ConfigValue>;
  /** Absent in installations saved before it existed: the default then. */
  timeoutMs?: number;
}

/** The stored configuration of an installation's row. */
export function installationConfigOf(row: { config: string }): InstallationConfig {
  return JSON.parse(row.config) as InstallationConfig;
}

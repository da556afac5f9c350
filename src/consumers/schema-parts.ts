/**
 * The building blocks every consumer kind's schema shares (names, limits, common fields, the output
 * fields), below schema.ts and the per-kind schemas (flow-schema.ts, template-schema.ts) that all use them:
 * schema.ts names the kinds' types, so the kinds cannot import their parts from it without a cycle.
 */
import { z } from "zod";

export const LIMITS = {
  nameMax: 200,
  eventMax: 200,
  secretsMax: 100,
  timeoutMsMax: 30_000,
  integrationTimeoutMs: 10_000,
  logicTimeoutMs: 1_000,
  memoryMbMin: 8,
  memoryMbMax: 256,
  memoryMb: 64,
  codeBytesMax: 256 * 1024,
  templateBytesMax: 256 * 1024,
} as const;

/** Loose on purpose: an organization's naming policy decides; a name that matches no secret is `missing`. */
export const secretName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, "must be a secret name (letters, digits, _ and -)");

export const secretNames = z
  .array(secretName)
  .max(LIMITS.secretsMax)
  .refine((names) => new Set(names.map((n) => n.toLowerCase())).size === names.length, {
    message: "each secret may be declared once",
  });

export const noControl = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");

export const bytesAtMost = (max: number) => (text: string) => Buffer.byteLength(text, "utf8") <= max;

export const template = (max = 8 * 1024) => z.string().max(max);

export const common = {
  name: noControl(LIMITS.nameMax).min(1),
  /** A prefix of the event names that trigger the consumer; empty matches every event. */
  event: noControl(LIMITS.eventMax).default(""),
  enabled: z.boolean().default(true),
  secrets: secretNames.default([]),
};

export const output = {
  id: z.string(),
  name: z.string(),
  event: z.string(),
  enabled: z.boolean(),
  secrets: z.array(z.string()),
};

/**
 * Consumers as the API shows them (SPEC "Shapes": integration, logic function) and as clients send them.
 * One zod schema per shape validates input, types the service and feeds the OpenAPI document.
 */
import { z } from "zod";
import type { Flow, FlowInput } from "./flow-schema.js";
import type { MessageTemplate, TemplateInput } from "./template-schema.js";

export const consumerKinds = ["integration", "logic", "template", "flow"] as const;
export type ConsumerKind = (typeof consumerKinds)[number];
export {
  bytesAtMost,
  common,
  LIMITS,
  noControl,
  output,
  secretName,
  secretNames,
  template,
} from "./schema-parts.js";

import { bytesAtMost, common, LIMITS, output, template } from "./schema-parts.js";

export const webhookRequestSchema = z.object({
  method: template(64).default("POST"),
  url: template(8 * 1024).min(1),
  headers: z.record(z.string().min(1).max(256), template()).default({}),
  query: z.record(z.string().min(1).max(256), template()).default({}),
  body: z
    .string()
    .refine(bytesAtMost(LIMITS.templateBytesMax), `must be at most ${LIMITS.templateBytesMax} bytes`)
    .nullable()
    .default(null),
  basicAuth: z.object({ username: template(), password: template() }).nullable().default(null),
});

export const integrationInputSchema = z.object({
  ...common,
  request: webhookRequestSchema,
  timeoutMs: z.number().int().min(1).max(LIMITS.timeoutMsMax).default(LIMITS.integrationTimeoutMs),
});
export type IntegrationInput = z.output<typeof integrationInputSchema>;

export const logicInputSchema = z.object({
  ...common,
  code: z
    .string()
    .min(1)
    .refine(bytesAtMost(LIMITS.codeBytesMax), `must be at most ${LIMITS.codeBytesMax} bytes`),
  timeoutMs: z.number().int().min(1).max(LIMITS.timeoutMsMax).default(LIMITS.logicTimeoutMs),
  memoryMb: z.number().int().min(LIMITS.memoryMbMin).max(LIMITS.memoryMbMax).default(LIMITS.memoryMb),
});
export type LogicInput = z.output<typeof logicInputSchema>;

export const integrationSchema = z.object({
  ...output,
  request: z.object({
    method: z.string(),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    query: z.record(z.string(), z.string()),
    body: z.string().nullable(),
    basicAuth: z.object({ username: z.string(), password: z.string() }).nullable(),
  }),
  timeoutMs: z.number(),
});
export type Integration = z.output<typeof integrationSchema>;

export const logicSchema = z.object({
  ...output,
  code: z.string(),
  timeoutMs: z.number(),
  memoryMb: z.number(),
});
export type LogicFunction = z.output<typeof logicSchema>;

/** A consumer as the runtime loads it: the API shape plus where it lives. */
export type Consumer =
  | ({ kind: "integration"; orgId: string; projectId: string } & Integration)
  | ({ kind: "logic"; orgId: string; projectId: string } & LogicFunction)
  | ({ kind: "template"; orgId: string; projectId: string } & MessageTemplate)
  | ({ kind: "flow"; orgId: string; projectId: string } & Flow);

/** What a save takes, tagged with its kind. */
export type ConsumerInput =
  | ({ kind: "integration" } & IntegrationInput)
  | ({ kind: "logic" } & LogicInput)
  | ({ kind: "template" } & TemplateInput)
  | ({ kind: "flow" } & FlowInput);
/** What the API answers for one consumer. */
export type ConsumerView = Integration | LogicFunction | MessageTemplate | Flow;

/** What `consumers.config` holds for each kind: the fields that are not columns. */
export type IntegrationConfig = Pick<Integration, "request" | "timeoutMs">;
export type LogicConfig = Pick<LogicFunction, "code" | "timeoutMs" | "memoryMb">;

export const projectParams = z.object({
  org: z.string().min(1).max(100),
  project: z.string().min(1).max(100),
});
export const consumerParams = projectParams.extend({ id: z.string().min(1).max(100) });

export const integrationListSchema = z.object({ integrations: z.array(integrationSchema) });
export const logicListSchema = z.object({ logic: z.array(logicSchema) });

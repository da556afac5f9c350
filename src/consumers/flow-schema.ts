/**
 * Flows as the API shows them and as clients send them (SPEC X4, "Shapes": flow, `Str`). A step's string
 * fields are `Str`: a literal, used as is, or `{"expr": "<JavaScript expression>"}`, evaluated at run time
 * in the sandbox. Fields the shape does not mark `Str` (ids, method, installation, action, code) take
 * literals only, so an expression there is a 400 naming the field.
 */
import { z } from "zod";
import { HEADER_NAME, RESERVED_HEADERS } from "../runtime/webhook/index.js";
import { bytesAtMost, common, LIMITS, output } from "./schema-parts.js";

export const FLOW_LIMITS = {
  stepsMin: 1,
  stepsMax: 20,
  expressionBytesMax: 8 * 1024,
  fieldBytesMax: 8 * 1024,
} as const;

export const STEP_ID = /^[a-z][a-z0-9_]{0,31}$/;

export const expressionSchema = z
  .object({
    expr: z
      .string()
      .min(1)
      .refine(
        bytesAtMost(FLOW_LIMITS.expressionBytesMax),
        `must be at most ${FLOW_LIMITS.expressionBytesMax} bytes`,
      ),
  })
  .strict();
export type Expression = z.output<typeof expressionSchema>;

/** SPEC `Str`: a literal string or an expression. */
const str = (max: number = FLOW_LIMITS.fieldBytesMax) =>
  z.union([z.string().refine(bytesAtMost(max), `must be at most ${max} bytes`), expressionSchema]);
export type Str = string | Expression;

const key = z.string().min(1).max(256);
const headerName = z
  .string()
  .min(1)
  .max(256)
  .regex(HEADER_NAME, "must be a valid header name")
  .refine((n) => !RESERVED_HEADERS.has(n.toLowerCase()), { message: "is set by Cloakroom itself" });
const stepId = z.string().regex(STEP_ID, "must match ^[a-z][a-z0-9_]{0,31}$");

export const httpStepSchema = z
  .object({
    id: stepId,
    type: z.literal("http"),
    request: z
      .object({
        method: z
          .string()
          .regex(/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/, "must be an HTTP method in capitals")
          .default("POST"),
        url: str(),
        headers: z.record(headerName, str()).default({}),
        query: z.record(key, str()).default({}),
        body: str(LIMITS.templateBytesMax).nullable().default(null),
      })
      .strict(),
  })
  .strict();

export const logicStepSchema = z
  .object({
    id: stepId,
    type: z.literal("logic"),
    code: z
      .string()
      .min(1)
      .refine(bytesAtMost(LIMITS.codeBytesMax), `must be at most ${LIMITS.codeBytesMax} bytes`),
  })
  .strict();

export const appStepSchema = z
  .object({
    id: stepId,
    type: z.literal("app"),
    installation: z.string().min(1).max(128),
    action: z.string().min(1).max(64),
    input: z.record(key, str()).default({}),
  })
  .strict();

export const stepSchema = z.discriminatedUnion("type", [httpStepSchema, logicStepSchema, appStepSchema]);
export type Step = z.output<typeof stepSchema>;
export type HttpStep = z.output<typeof httpStepSchema>;
export type LogicStep = z.output<typeof logicStepSchema>;
export type AppStep = z.output<typeof appStepSchema>;

const steps = z
  .array(stepSchema)
  .min(FLOW_LIMITS.stepsMin)
  .max(FLOW_LIMITS.stepsMax)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((step, i) => {
      if (seen.has(step.id)) {
        ctx.addIssue({ code: "custom", path: [i, "id"], message: "step ids must be unique in the flow" });
      }
      seen.add(step.id);
    });
  });

export const flowInputSchema = z.object({ ...common, steps });
export type FlowInput = z.output<typeof flowInputSchema>;

export const flowSchema = z.object({ ...output, steps: z.array(stepSchema) });
export type Flow = z.output<typeof flowSchema>;
/** What `consumers.config` holds for a flow. */
export type FlowConfig = Pick<Flow, "steps">;

export const flowListSchema = z.object({ flows: z.array(flowSchema) });

import { type Redactor, redactDeep } from "../../redaction/index.js";
import type { RunLogEntry } from "../runner/schema.js";

/** A flow's steps as the run log keeps them (X6): each step's output as data, numbers too. */
export function redactSteps(
  redactor: Redactor,
  steps: NonNullable<RunLogEntry["steps"]>,
  cutMarks: readonly string[],
): NonNullable<RunLogEntry["steps"]> {
  return steps.map((step) => {
    const { output, ...rest } = step;
    const out = redactDeep(redactor, rest, { cutMarks });
    return output === undefined ? out : { ...out, output: redactDeep(redactor, output, { numbers: true }) };
  });
}

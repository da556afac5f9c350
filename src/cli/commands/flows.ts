/**
 * `flows ...`: a project's flows (SPEC X4), with the same verbs as integrations: list, get, create and
 * update from a JSON file (`--file`, the API's shape without `id`), delete, and `test`, which prints each
 * step of the redacted run log and seed 002's warnings.
 */
import type { Command } from "commander";
import type { Flow, FlowInput, FlowStep } from "../../client/index.js";
import type { CliIo } from "../io.js";
import { type Kind, registerKind } from "./consumers.js";

const flowKind: Kind<Flow, FlowInput> = {
  label: "flow",
  plural: "flows",
  api: (c) => c.flows,
  execute: (c, s, id, input) => c.flows.test(s, id, input),
  columns: { STEPS: (f) => f.steps.map(stepLabel).join(" > ") },
  describe: (f) => f.steps.map((s, i): [string, string] => [`step ${i + 1}`, stepLabel(s)]),
};

function stepLabel(step: FlowStep): string {
  if (step.type === "http") return `${step.id} (http ${step.request.method})`;
  if (step.type === "app") return `${step.id} (app ${step.installation}.${step.action})`;
  return `${step.id} (logic)`;
}

export function registerFlows(program: Command, io: CliIo): void {
  registerKind(
    program.command("flows").description("flows (ordered http, logic and app steps) of a project"),
    io,
    flowKind,
    {
      runVerb: "test",
      runHelp: "run a flow once on a test event and show each step of its redacted run log",
    },
  );
}

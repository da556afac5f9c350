/** The flow editor's draft: steps with a stable key each (ids change as people type), and the wire form. */
import type { Flow, FlowInput, FlowStep, Str } from "../api.js";
import { nextKey, type Pair, toPairs, toRecord } from "../ui/pairs.js";

/** An http step's request as edited: headers and query as pairs. */
export type RequestDraft = {
  method: string;
  url: Str;
  headers: Pair<Str>[];
  query: Pair<Str>[];
  body: Str | null;
};
export type HttpDraft = { key: number; id: string; type: "http"; request: RequestDraft };
export type LogicDraft = { key: number; id: string; type: "logic"; code: string };
export type AppDraft = {
  key: number;
  id: string;
  type: "app";
  installation: string;
  action: string;
  input: Record<string, Str>;
};
export type StepDraft = HttpDraft | LogicDraft | AppDraft;

export interface FlowDraft {
  name: string;
  event: string;
  secrets: string[];
  steps: StepDraft[];
}

export const STEP_ID = /^[a-z][a-z0-9_]{0,31}$/;

export const LOGIC_SAMPLE = `export default function process({ event, secrets, steps }) {
  return { ok: true };
}
`;

export function newStep(type: StepDraft["type"], taken: string[]): StepDraft {
  let n = taken.length + 1;
  while (taken.includes(`${type}_${n}`)) n++;
  const id = `${type}_${n}`;
  const key = nextKey();
  if (type === "http")
    return { key, id, type, request: { method: "POST", url: "", headers: [], query: [], body: null } };
  if (type === "logic") return { key, id, type, code: LOGIC_SAMPLE };
  return { key, id, type, installation: "", action: "", input: {} };
}

export function fromFlow(f: Flow): FlowDraft {
  return {
    name: f.name,
    event: f.event,
    secrets: f.secrets,
    steps: f.steps.map((s): StepDraft => {
      const key = nextKey();
      if (s.type !== "http") return { key, ...s };
      const { headers, query } = s.request;
      return {
        key,
        id: s.id,
        type: "http",
        request: { ...s.request, headers: toPairs(headers), query: toPairs(query) },
      };
    }),
  };
}

export function toInput(d: FlowDraft): FlowInput {
  return {
    name: d.name,
    event: d.event,
    secrets: d.secrets,
    steps: d.steps.map(({ key: _, ...s }): FlowStep => {
      if (s.type !== "http") return s;
      const { headers, query, body } = s.request;
      const request = { ...s.request, headers: toRecord(headers), query: toRecord(query) };
      return { id: s.id, type: "http", request: { ...request, body: body === "" ? null : body } };
    }),
  };
}

/** Moves the step at `i` by `by` places (-1 up, 1 down); outside the list, nothing changes. */
export function move<T>(list: T[], i: number, by: -1 | 1): T[] {
  const j = i + by;
  if (j < 0 || j >= list.length) return list;
  const next = [...list];
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}

/** The flow editor's draft: steps with a stable key each (ids change as people type), and the wire form. */
import type { Flow, FlowInput, FlowStep, Str } from "../api.js";

export type Pair = { key: number; name: string; value: Str };
export type HttpDraft = {
  key: number;
  id: string;
  type: "http";
  method: string;
  url: Str;
  headers: Pair[];
  query: Pair[];
  body: Str | null;
};
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

let keys = 0;
export const nextKey = () => ++keys;

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
  if (type === "http") return { key, id, type, method: "POST", url: "", headers: [], query: [], body: null };
  if (type === "logic") return { key, id, type, code: LOGIC_SAMPLE };
  return { key, id, type, installation: "", action: "", input: {} };
}

const pairs = (r: Record<string, Str>): Pair[] =>
  Object.entries(r).map(([name, value]) => ({ key: nextKey(), name, value }));
const record = (p: Pair[]) =>
  Object.fromEntries(p.filter((x) => x.name !== "").map((x) => [x.name, x.value]));

export function fromFlow(f: Flow): FlowDraft {
  return {
    name: f.name,
    event: f.event,
    secrets: f.secrets,
    steps: f.steps.map((s): StepDraft => {
      const key = nextKey();
      if (s.type === "http")
        return {
          key,
          id: s.id,
          type: "http",
          method: s.request.method,
          url: s.request.url,
          headers: pairs(s.request.headers),
          query: pairs(s.request.query),
          body: s.request.body,
        };
      if (s.type === "logic") return { key, id: s.id, type: "logic", code: s.code };
      return { key, ...s };
    }),
  };
}

export function toInput(d: FlowDraft): FlowInput {
  return {
    name: d.name,
    event: d.event,
    secrets: d.secrets,
    steps: d.steps.map((s): FlowStep => {
      if (s.type === "http")
        return {
          id: s.id,
          type: "http",
          request: {
            method: s.method,
            url: s.url,
            headers: record(s.headers),
            query: record(s.query),
            body: s.body === "" ? null : s.body,
          },
        };
      if (s.type === "logic") return { id: s.id, type: "logic", code: s.code };
      return { id: s.id, type: "app", installation: s.installation, action: s.action, input: s.input };
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

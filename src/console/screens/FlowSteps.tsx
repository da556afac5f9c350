/**
 * One step of the flow editor: its id, move up and down, remove, and the fields of its type (http request,
 * logic code, app action), each string switchable between a literal and an expression.
 */
import type { App, Installation, Str } from "../api.js";
import { CodeEditor } from "../ui/CodeEditor.js";
import type { ExpressionScope } from "../ui/expression.js";
import { Field, Select } from "../ui/Fields.js";
import { PairList } from "../ui/PairList.js";
import { type ExpressionTarget, StrField } from "../ui/StrField.js";
import { type AppDraft, type HttpDraft, type RequestDraft, STEP_ID, type StepDraft } from "./flowDraft.js";

export interface StepContext {
  /** The declared secrets and the ids of the steps before this one. */
  scope: ExpressionScope;
  installations: Installation[];
  apps: App[];
  onExpressionFocus(target: ExpressionTarget): void;
}

const TYPE_LABEL = { http: "HTTP request", logic: "Logic", app: "App action" } as const;

export function StepCard(props: {
  step: StepDraft;
  index: number;
  count: number;
  ctx: StepContext;
  onChange(s: StepDraft): void;
  onMove(by: -1 | 1): void;
  onRemove(): void;
}) {
  const { step, index } = props;
  const n = index + 1;
  const idProblem = STEP_ID.test(step.id)
    ? null
    : "Lowercase letters, digits and underscores, starting with a letter (at most 32).";
  return (
    <li className="step">
      <fieldset>
        <legend>
          Step {n}: {step.id || "(no id)"} <span className="badge">{TYPE_LABEL[step.type]}</span>
        </legend>
        <div className="step-tools">
          <button
            type="button"
            className="ghost"
            aria-label={`Move step ${n} up`}
            disabled={index === 0}
            onClick={() => props.onMove(-1)}
          >
            ↑ Up
          </button>
          <button
            type="button"
            className="ghost"
            aria-label={`Move step ${n} down`}
            disabled={index === props.count - 1}
            onClick={() => props.onMove(1)}
          >
            ↓ Down
          </button>
          <button type="button" className="ghost" aria-label={`Remove step ${n}`} onClick={props.onRemove}>
            Remove
          </button>
        </div>
        <Field
          label={`Step ${n} id`}
          value={step.id}
          onChange={(e) => props.onChange({ ...step, id: e.target.value })}
          hint={idProblem ?? "Later steps read this step's output as steps.<id>.output."}
          aria-invalid={idProblem !== null}
          required
        />
        {step.type === "http" ? (
          <HttpStep step={step} n={n} ctx={props.ctx} onChange={props.onChange} />
        ) : null}
        {step.type === "logic" ? (
          <CodeEditor
            label={`Step ${n} code`}
            language="javascript"
            value={step.code}
            onChange={(code) => props.onChange({ ...step, code })}
            minLines={6}
          />
        ) : null}
        {step.type === "app" ? <AppStep step={step} n={n} ctx={props.ctx} onChange={props.onChange} /> : null}
      </fieldset>
    </li>
  );
}

function HttpStep(props: { step: HttpDraft; n: number; ctx: StepContext; onChange(s: HttpDraft): void }) {
  const { step, n, ctx } = props;
  const { request } = step;
  const set = (patch: Partial<RequestDraft>) =>
    props.onChange({ ...step, request: { ...request, ...patch } });
  const str = (label: string, value: Str, onChange: (v: Str) => void, hint?: string) => (
    <StrField
      label={label}
      value={value}
      onChange={onChange}
      scope={ctx.scope}
      onExpressionFocus={ctx.onExpressionFocus}
      {...(hint ? { hint } : {})}
    />
  );
  const pairs = (which: "headers" | "query", noun: string) => (
    <PairList<Str>
      legend={`Step ${n} ${which}`}
      prefix={`Step ${n} ${noun}`}
      addLabel={`Add ${noun}`}
      blank=""
      pairs={request[which]}
      update={(change) => set({ [which]: change(request[which]) })}
      value={str}
    />
  );
  return (
    <>
      <div className="row">
        <Select
          label={`Step ${n} method`}
          value={request.method}
          onChange={(method) => set({ method })}
          options={["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => ({ value: m, label: m }))}
        />
        {str(`Step ${n} URL`, request.url, (url) => set({ url }))}
      </div>
      {pairs("headers", "header")}
      {pairs("query", "query parameter")}
      {str(
        `Step ${n} body`,
        request.body ?? "",
        (body) => set({ body: body === "" ? null : body }),
        "An expression that gives an object or array is sent as JSON.",
      )}
    </>
  );
}

function AppStep(props: { step: AppDraft; n: number; ctx: StepContext; onChange(s: AppDraft): void }) {
  const { step, n, ctx } = props;
  const installation = ctx.installations.find((i) => i.name === step.installation);
  const app = ctx.apps.find((a) => a.id === installation?.app);
  const action = app?.actions.find((a) => a.id === step.action);
  return (
    <>
      <div className="row">
        <Select
          label={`Step ${n} installation`}
          value={step.installation}
          onChange={(name) => props.onChange({ ...step, installation: name, action: "", input: {} })}
          options={[
            { value: "", label: "Choose an installation" },
            ...ctx.installations.map((i) => ({ value: i.name, label: `${i.name} (${i.app})` })),
          ]}
        />
        <Select
          label={`Step ${n} action`}
          value={step.action}
          disabled={!app}
          onChange={(id) => props.onChange({ ...step, action: id, input: {} })}
          options={[
            { value: "", label: "Choose an action" },
            ...(app?.actions ?? []).map((a) => ({ value: a.id, label: a.name })),
          ]}
        />
      </div>
      {ctx.installations.length === 0 ? (
        <p className="hint">No installations yet: install an app in the Apps tab first.</p>
      ) : null}
      {(action?.input ?? []).map((f) => (
        <StrField
          key={f.key}
          label={`Step ${n} ${f.label}`}
          value={step.input[f.key] ?? ""}
          required={f.required}
          onChange={(v) => props.onChange({ ...step, input: { ...step.input, [f.key]: v } })}
          scope={ctx.scope}
          onExpressionFocus={ctx.onExpressionFocus}
        />
      ))}
    </>
  );
}

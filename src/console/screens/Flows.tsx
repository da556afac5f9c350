/**
 * Flows (X4): the list, and the editor: ordered steps (add, remove, move up and down), each string a literal
 * or an expression that completes `secrets.` and `steps.`, the secret picker for the declared secrets, and
 * "Test", which shows each step's redacted log and the run's `secret_in_output` warning.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { api, type Flow, type ProjectScope, type RunLogEntry } from "../api.js";
import { permissions, useSession } from "../session.js";
import { ConsumerCards } from "../ui/ConsumerCards.js";
import { DeclaredSecrets } from "../ui/DeclaredSecrets.js";
import { EditorForm } from "../ui/EditorForm.js";
import { secretRef } from "../ui/expression.js";
import { Field, Select } from "../ui/Fields.js";
import { SecretPicker } from "../ui/SecretPicker.js";
import type { ExpressionTarget } from "../ui/StrField.js";
import { EditorFooter } from "./EditorFooter.js";
import { StepCard } from "./FlowSteps.js";
import { type FlowDraft, fromFlow, move, newStep, type StepDraft, toInput } from "./flowDraft.js";

export function FlowsTab(props: { scope: ProjectScope }) {
  const { scope } = props;
  const can = permissions(useSession());
  const list = useQuery({ queryKey: ["flows", scope], queryFn: () => api.flows.list(scope) });
  const [editing, setEditing] = useState<Flow | "new" | null>(null);
  return (
    <section aria-labelledby="flows-title">
      <ConsumerCards<Flow>
        title="Flows"
        titleId="flows-title"
        newLabel="New flow"
        canCreate={can.buildConsumers}
        items={list.data}
        detail={(f) => `${f.steps.map((s) => s.id).join(" → ")} ${f.enabled ? "" : "(disabled)"}`}
        empty="No flows yet."
        loadError="The flows could not be loaded."
        failed={list.isError}
        onNew={() => setEditing("new")}
        onOpen={setEditing}
      />
      {editing ? (
        <FlowEditor
          key={editing === "new" ? "new" : editing.id}
          scope={scope}
          existing={editing === "new" ? null : editing}
          readOnly={!can.buildConsumers}
        />
      ) : null}
    </section>
  );
}

const blank = (): FlowDraft => ({ name: "", event: "", secrets: [], steps: [newStep("http", [])] });

function FlowEditor(props: { scope: ProjectScope; existing: Flow | null; readOnly: boolean }) {
  const { scope } = props;
  const can = permissions(useSession());
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<FlowDraft>(() => (props.existing ? fromFlow(props.existing) : blank()));
  const [id, setId] = useState<string | null>(props.existing?.id ?? null);
  const [result, setResult] = useState<RunLogEntry | null>(null);
  const target = useRef<ExpressionTarget | null>(null);
  const installations = useQuery({
    queryKey: ["installations", scope],
    queryFn: () => api.installations.list(scope),
  });
  const apps = useQuery({ queryKey: ["apps"], queryFn: () => api.apps.list(), staleTime: 60_000 });

  const set = (patch: Partial<FlowDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setStep = (i: number, s: StepDraft) =>
    setDraft((d) => ({ ...d, steps: d.steps.map((x, j) => (j === i ? s : x)) }));
  const persist = async () => {
    const input = toInput(draft);
    const saved = id ? await api.flows.update(scope, id, input) : await api.flows.create(scope, input);
    setId(saved.id);
    void queryClient.invalidateQueries({ queryKey: ["flows", scope] });
    void queryClient.invalidateQueries({ queryKey: ["secrets"] });
    return saved;
  };
  const save = useMutation({ mutationFn: persist });
  const test = useMutation({
    mutationFn: async () => api.flows.test(scope, (await persist()).id, {}),
    onSuccess: (entry) => {
      setResult(entry);
      void queryClient.invalidateQueries({ queryKey: ["logs", scope] });
    },
  });
  const pick = (name: string) => {
    setDraft((d) => (d.secrets.includes(name) ? d : { ...d, secrets: [...d.secrets, name] }));
    target.current?.insert(secretRef(name));
  };
  const ctx = (i: number) => ({
    scope: { secrets: draft.secrets, steps: draft.steps.slice(0, i).map((s) => s.id) },
    installations: installations.data ?? [],
    apps: apps.data ?? [],
    onExpressionFocus: (t: ExpressionTarget) => {
      target.current = t;
    },
  });

  return (
    <EditorForm label="Flow editor" onSave={() => save.mutate()}>
      <fieldset disabled={props.readOnly}>
        <Field
          label="Flow name"
          value={draft.name}
          onChange={(e) => set({ name: e.target.value })}
          required
        />
        <Field
          label="Event"
          value={draft.event}
          onChange={(e) => set({ event: e.target.value })}
          hint="Runs for events whose name starts with this; empty runs for every event."
        />
        <div className="secret-tools">
          <SecretPicker scope={scope} onPick={pick} canCreate={can.manageSecrets} />
          <p className="hint">
            Picking a secret declares it for this flow and inserts secrets.NAME in the expression you last
            used. In an expression, type secrets. or steps. for the names you can use.
          </p>
          <DeclaredSecrets
            label="Secrets this flow uses"
            names={draft.secrets}
            onRemove={(n) => set({ secrets: draft.secrets.filter((x) => x !== n) })}
          />
        </div>
        <h3>Steps</h3>
        <ol className="steps" aria-label="Steps">
          {draft.steps.map((s, i) => (
            <StepCard
              key={s.key}
              step={s}
              index={i}
              count={draft.steps.length}
              ctx={ctx(i)}
              onChange={(next) => setStep(i, next)}
              onMove={(by) => set({ steps: move(draft.steps, i, by) })}
              onRemove={() => set({ steps: draft.steps.filter((_, j) => j !== i) })}
            />
          ))}
        </ol>
        <AddStep
          disabled={draft.steps.length >= 20}
          onAdd={(type) =>
            set({
              steps: [
                ...draft.steps,
                newStep(
                  type,
                  draft.steps.map((s) => s.id),
                ),
              ],
            })
          }
        />
      </fieldset>
      <EditorFooter
        readOnly={props.readOnly}
        error={save.error ?? test.error}
        saveDisabled={save.isPending}
        saved={save.isSuccess}
        trialLabel="Test"
        trialDisabled={test.isPending || draft.steps.length === 0}
        onTrial={() => test.mutate()}
        resultTitle="Test run"
        result={result}
      />
    </EditorForm>
  );
}

/** A step type to choose and "Add step" (a flow has at most 20 steps). */
function AddStep(props: { disabled: boolean; onAdd(type: StepDraft["type"]): void }) {
  const [type, setType] = useState<StepDraft["type"]>("http");
  return (
    <div className="row add-step">
      <Select
        label="New step type"
        value={type}
        onChange={(v) => setType(v as StepDraft["type"])}
        options={[
          { value: "http", label: "HTTP request" },
          { value: "logic", label: "Logic" },
          { value: "app", label: "App action" },
        ]}
      />
      <button type="button" className="secondary" disabled={props.disabled} onClick={() => props.onAdd(type)}>
        Add step
      </button>
    </div>
  );
}

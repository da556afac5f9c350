/**
 * Flows (X4): the list, and the editor: ordered steps (add, remove, move up and down), each string a literal
 * or an expression that completes `secrets.` and `steps.`, the secret picker for the declared secrets, and
 * "Test", which shows each step's redacted log and the run's `secret_in_output` warning.
 */
import { useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { api, type Flow, type ProjectScope } from "../api.js";
import { permissions, useSession } from "../session.js";
import { NameAndEvent } from "../ui/ConsumerFields.js";
import { ConsumerTab, type EditorProps } from "../ui/ConsumerTab.js";
import { useConsumerEditor } from "../ui/consumerEditor.js";
import { DeclaredSecrets, SecretTools } from "../ui/DeclaredSecrets.js";
import { EditorForm } from "../ui/EditorForm.js";
import { secretRef } from "../ui/expression.js";
import { Select } from "../ui/Fields.js";
import type { ExpressionTarget } from "../ui/StrField.js";
import { EditorFooter } from "./EditorFooter.js";
import { StepCard } from "./FlowSteps.js";
import { type FlowDraft, fromFlow, move, newStep, type StepDraft, toInput } from "./flowDraft.js";

export function FlowsTab(props: { scope: ProjectScope }) {
  return <ConsumerTab scope={props.scope} kind="flows" detail={describe} editor={FlowEditor} />;
}

const describe = (f: Flow) => `${f.steps.map((s) => s.id).join(" → ")} ${f.enabled ? "" : "(disabled)"}`;

const blank = (): FlowDraft => ({ name: "", event: "", secrets: [], steps: [newStep("http", [])] });

function FlowEditor(props: EditorProps<Flow>) {
  const { scope } = props;
  const can = permissions(useSession());
  const [draft, setDraft] = useState<FlowDraft>(() => (props.existing ? fromFlow(props.existing) : blank()));
  const target = useRef<ExpressionTarget | null>(null);
  const installations = useQuery({
    queryKey: ["installations", scope],
    queryFn: () => api.installations.list(scope),
  });
  const apps = useQuery({ queryKey: ["apps"], queryFn: () => api.apps.list(), staleTime: 60_000 });
  const edit = useConsumerEditor("flows", props, () => toInput(draft));

  const set = (patch: Partial<FlowDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setStep = (i: number, s: StepDraft) =>
    setDraft((d) => ({ ...d, steps: d.steps.map((x, j) => (j === i ? s : x)) }));
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
    <EditorForm label="Flow editor" onSave={edit.save}>
      <fieldset disabled={props.readOnly}>
        <NameAndEvent noun="Flow" draft={draft} verb="runs" onChange={set} />
        <SecretTools
          scope={scope}
          onPick={pick}
          canCreate={can.manageSecrets}
          hint={
            <>
              Picking a secret declares it for this flow and inserts secrets.NAME in the expression you last
              used. In an expression, type secrets. or steps. for the names you can use.
            </>
          }
        >
          <DeclaredSecrets
            label="Secrets this flow uses"
            names={draft.secrets}
            onRemove={(n) => set({ secrets: draft.secrets.filter((x) => x !== n) })}
          />
        </SecretTools>
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
        edit={edit}
        readOnly={props.readOnly}
        trial={["Test", "Test run"]}
        trialBlocked={draft.steps.length === 0}
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

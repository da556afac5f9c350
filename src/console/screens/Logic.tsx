/** The logic editor: JavaScript in CodeMirror (syntax checked as you type), a sample event, and "Run". */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { api, type LogicFunction, type ProjectScope, type RunLogEntry } from "../api.js";
import { permissions, useSession } from "../session.js";
import { CodeEditor, type CodeEditorHandle, type CodeProblem } from "../ui/CodeEditor.js";
import { ConsumerCards } from "../ui/ConsumerCards.js";
import { EditorForm, HiddenValue } from "../ui/EditorForm.js";
import { Field } from "../ui/Fields.js";
import { SecretPicker } from "../ui/SecretPicker.js";
import { EditorFooter } from "./EditorFooter.js";

const SAMPLE_CODE = `export default function process({ event, secrets }) {
  console.log("received", event.name);
  return { ok: true };
}
`;
const SAMPLE_EVENT = `{
  "name": "test.event",
  "data": { "hello": "world" }
}
`;

export function LogicTab(props: { scope: ProjectScope }) {
  const { scope } = props;
  const can = permissions(useSession());
  const list = useQuery({ queryKey: ["logic", scope], queryFn: () => api.logic.list(scope) });
  const [editing, setEditing] = useState<LogicFunction | "new" | null>(null);
  return (
    <section aria-labelledby="logic-title">
      <ConsumerCards<LogicFunction>
        title="Logic"
        titleId="logic-title"
        newLabel="New logic function"
        canCreate={can.buildConsumers}
        items={list.data}
        empty="No logic functions yet."
        failed={list.isError}
        onNew={() => setEditing("new")}
        onOpen={setEditing}
      />
      {editing ? (
        <LogicEditor
          key={editing === "new" ? "new" : editing.id}
          scope={scope}
          existing={editing === "new" ? null : editing}
          readOnly={!can.buildConsumers}
        />
      ) : null}
    </section>
  );
}

function LogicEditor(props: { scope: ProjectScope; existing: LogicFunction | null; readOnly: boolean }) {
  const { scope } = props;
  const can = permissions(useSession());
  const queryClient = useQueryClient();
  const [id, setId] = useState<string | null>(props.existing?.id ?? null);
  const [name, setName] = useState(props.existing?.name ?? "");
  const [event, setEvent] = useState(props.existing?.event ?? "");
  const [code, setCode] = useState(props.existing?.code ?? SAMPLE_CODE);
  const [secrets, setSecrets] = useState<string[]>(props.existing?.secrets ?? []);
  const [sample, setSample] = useState(SAMPLE_EVENT);
  const [codeProblem, setCodeProblem] = useState<CodeProblem | null>(null);
  const [sampleProblem, setSampleProblem] = useState<CodeProblem | null>(null);
  const [result, setResult] = useState<RunLogEntry | null>(null);
  const editor = useRef<CodeEditorHandle>(null);

  const input = () => ({ name, event, code, secrets });
  const persist = async () => {
    const saved = id ? await api.logic.update(scope, id, input()) : await api.logic.create(scope, input());
    setId(saved.id);
    void queryClient.invalidateQueries({ queryKey: ["logic", scope] });
    return saved;
  };
  const save = useMutation({ mutationFn: persist });
  const run = useMutation({
    mutationFn: async () => {
      const saved = await persist();
      const parsed = JSON.parse(sample) as { name?: string; data?: unknown };
      return api.logic.run(scope, saved.id, { event: parsed });
    },
    onSuccess: (entry) => {
      setResult(entry);
      void queryClient.invalidateQueries({ queryKey: ["logs", scope] });
    },
  });
  const pick = (n: string) => {
    if (!secrets.includes(n)) setSecrets([...secrets, n]);
    editor.current?.insert(`secrets.${n}`);
  };
  return (
    <EditorForm label="Logic editor" onSave={() => save.mutate()}>
      <fieldset disabled={props.readOnly}>
        <Field label="Function name" value={name} onChange={(e) => setName(e.target.value)} required />
        <Field label="Event" value={event} onChange={(e) => setEvent(e.target.value)} />
        <SecretPicker scope={scope} onPick={pick} canCreate={can.manageSecrets} />
        {secrets.length > 0 ? (
          <ul className="chosen" aria-label="Secrets this function uses">
            {secrets.map((n) => (
              <li key={n}>
                {n} <HiddenValue />
              </li>
            ))}
          </ul>
        ) : null}
        <CodeEditor
          ref={editor}
          label="Code"
          language="javascript"
          value={code}
          onChange={setCode}
          onProblem={setCodeProblem}
          minLines={10}
        />
        <CodeEditor
          label="Sample event"
          language="json"
          value={sample}
          onChange={setSample}
          onProblem={setSampleProblem}
        />
      </fieldset>
      <EditorFooter
        readOnly={props.readOnly}
        error={save.error ?? run.error}
        saveDisabled={save.isPending || codeProblem !== null}
        saved={save.isSuccess}
        trialLabel="Run"
        trialDisabled={run.isPending || codeProblem !== null || sampleProblem !== null}
        onTrial={() => run.mutate()}
        resultTitle="Run result"
        result={result}
      />
    </EditorForm>
  );
}

/** The logic editor: JavaScript in CodeMirror (syntax checked as you type), a sample event, and "Run". */
import { useRef, useState } from "react";
import { api, type LogicFunction, type ProjectScope } from "../api.js";
import { permissions, useSession } from "../session.js";
import { CodeEditor, type CodeEditorHandle, type CodeProblem } from "../ui/CodeEditor.js";
import { NameAndEvent } from "../ui/ConsumerFields.js";
import { ConsumerTab, type EditorProps } from "../ui/ConsumerTab.js";
import { useConsumerEditor } from "../ui/consumerEditor.js";
import { DeclaredSecrets } from "../ui/DeclaredSecrets.js";
import { EditorForm } from "../ui/EditorForm.js";
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
  return <ConsumerTab scope={props.scope} kind="logic" editor={LogicEditor} />;
}

function LogicEditor(props: EditorProps<LogicFunction>) {
  const { scope } = props;
  const can = permissions(useSession());
  const [named, setNamed] = useState({
    name: props.existing?.name ?? "",
    event: props.existing?.event ?? "",
  });
  const [code, setCode] = useState(props.existing?.code ?? SAMPLE_CODE);
  const [secrets, setSecrets] = useState<string[]>(props.existing?.secrets ?? []);
  const [sample, setSample] = useState(SAMPLE_EVENT);
  const [codeProblem, setCodeProblem] = useState<CodeProblem | null>(null);
  const [sampleProblem, setSampleProblem] = useState<CodeProblem | null>(null);
  const editor = useRef<CodeEditorHandle>(null);
  const edit = useConsumerEditor(
    "logic",
    props,
    () => ({ ...named, code, secrets }),
    (id) => api.logic.run(scope, id, { event: JSON.parse(sample) as { name?: string; data?: unknown } }),
  );
  const pick = (n: string) => {
    if (!secrets.includes(n)) setSecrets([...secrets, n]);
    editor.current?.insert(`secrets.${n}`);
  };
  return (
    <EditorForm label="Logic editor" onSave={edit.save}>
      <fieldset disabled={props.readOnly}>
        <NameAndEvent noun="Function" draft={named} onChange={(p) => setNamed((n) => ({ ...n, ...p }))} />
        <SecretPicker scope={scope} onPick={pick} canCreate={can.manageSecrets} />
        <DeclaredSecrets label="Secrets this function uses" names={secrets} />
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
        edit={edit}
        readOnly={props.readOnly}
        trial={["Run", "Run result"]}
        saveBlocked={codeProblem !== null}
        trialBlocked={codeProblem !== null || sampleProblem !== null}
      />
    </EditorForm>
  );
}

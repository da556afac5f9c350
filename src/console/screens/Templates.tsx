/**
 * Message templates (X5): subject and body, the Macro Manager that inserts `{{secrets.alias}}` at the
 * cursor, the channel (webhook or email with SMTP credentials from a secret), a preview pane rendered by the
 * server with `[[SENSITIVE]]` for every secret, and "Send test". See decision note 0200 for the preview.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import {
  api,
  errorText,
  type Macro,
  type MessageTemplate,
  type ProjectScope,
  type TemplatePreview,
} from "../api.js";
import { NameAndEvent } from "../ui/ConsumerFields.js";
import { ConsumerTab, type EditorProps } from "../ui/ConsumerTab.js";
import { useConsumerEditor } from "../ui/consumerEditor.js";
import { insertAt, useCursorInsert } from "../ui/cursorInsert.js";
import { DeclaredSecrets } from "../ui/DeclaredSecrets.js";
import { EditorForm } from "../ui/EditorForm.js";
import { Field, TextArea } from "../ui/Fields.js";
import { EditorFooter } from "./EditorFooter.js";
import { MacroManager } from "./MacroManager.js";
import { ChannelForm } from "./TemplateChannel.js";
import {
  blankTemplate,
  fromTemplate,
  macroSecret,
  type TemplateDraft,
  toTemplateInput,
} from "./templateDraft.js";

export function TemplatesTab(props: { scope: ProjectScope }) {
  return <ConsumerTab scope={props.scope} kind="templates" detail={describe} editor={TemplateEditor} />;
}

const describe = (t: MessageTemplate) => `${t.channel.type} ${t.enabled ? "" : "(disabled)"}`;

function TemplateEditor(props: EditorProps<MessageTemplate>) {
  const { scope } = props;
  const [draft, setDraft] = useState<TemplateDraft>(() =>
    props.existing ? fromTemplate(props.existing) : blankTemplate,
  );
  // The live preview renders the draft as typed (after a pause), by the server, without reading a value.
  const typed = JSON.stringify(toTemplateInput(draft));
  const [settled, setSettled] = useState(typed);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(typed), 300);
    return () => clearTimeout(timer);
  }, [typed]);
  const set = (patch: Partial<TemplateDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const declare = (name: string) =>
    setDraft((d) => (d.secrets.includes(name) ? d : { ...d, secrets: [...d.secrets, name] }));

  const preview = useQuery({
    queryKey: ["template-preview", scope, settled],
    queryFn: () => api.templates.previewDraft(scope, JSON.parse(settled)),
    enabled: draft.body !== "",
    retry: false,
    placeholderData: keepPreviousData,
  });
  const edit = useConsumerEditor("templates", props, () => toTemplateInput(draft));

  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const setBody = (v: string) => set({ body: v });
  // Before any field was used, a macro goes in at the body's cursor.
  const cursor = useCursorInsert((text) => insertAt({ el: bodyRef.current!, set: setBody }, text));
  const insert = (m: Macro) => {
    const secret = macroSecret(m.insert);
    if (secret) declare(secret);
    cursor.insert(m.insert);
  };

  return (
    <EditorForm label="Template editor" onSave={edit.save}>
      <div className="template-layout">
        <fieldset disabled={props.readOnly}>
          <NameAndEvent noun="Template" draft={draft} verb="sends" onChange={set} />
          <Field
            label="Subject"
            value={draft.subject}
            onFocus={cursor.focus((v) => set({ subject: v }))}
            onChange={(e) => set({ subject: e.target.value })}
            hint="The email's subject; a webhook receives it as subject."
          />
          <TextArea
            label="Body"
            ref={bodyRef}
            rows={8}
            value={draft.body}
            onFocus={cursor.focus(setBody)}
            onChange={(e) => setBody(e.target.value)}
          />
          <DeclaredSecrets
            label="Secrets this template uses"
            names={draft.secrets}
            onRemove={(n) => set({ secrets: draft.secrets.filter((x) => x !== n) })}
          />
          <ChannelForm scope={scope} draft={draft} set={set} declare={declare} focus={cursor.focus} />
        </fieldset>
        {props.readOnly ? null : <MacroManager scope={scope} onInsert={insert} />}
      </div>
      <PreviewPane
        preview={draft.body === "" ? null : (preview.data ?? null)}
        error={preview.error}
        updating={typed !== settled || preview.isFetching}
      />
      <EditorFooter edit={edit} readOnly={props.readOnly} trial={["Send test", "Test send"]} />
    </EditorForm>
  );
}

function PreviewPane(props: { preview: TemplatePreview | null; error: unknown; updating: boolean }) {
  return (
    <section className="preview" aria-labelledby="preview-title">
      <div className="screen-head">
        <h3 id="preview-title">Preview</h3>
        {props.updating ? <span className="hint">Updating…</span> : null}
      </div>
      <div aria-live="polite">
        {props.error ? <p className="error">Preview unavailable: {errorText(props.error)}</p> : null}
        {props.preview ? (
          <dl className="facts">
            <dt>Subject</dt>
            <dd>
              <pre>{props.preview.subject ?? ""}</pre>
            </dd>
            <dt>Body</dt>
            <dd>
              <pre>{props.preview.body}</pre>
            </dd>
          </dl>
        ) : !props.error ? (
          <p className="hint">
            Type a body: the preview renders it as you write, every secret as [[SENSITIVE]].
          </p>
        ) : null}
      </div>
    </section>
  );
}

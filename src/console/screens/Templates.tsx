/**
 * Message templates (X5): subject and body, the Macro Manager that inserts `{{secrets.alias}}` at the
 * cursor, the channel (webhook or email with SMTP credentials from a secret), a preview pane rendered by the
 * server with `[[SENSITIVE]]` for every secret, and "Send test". See decision note 0200 for the preview.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import {
  api,
  errorText,
  type Macro,
  type MessageTemplate,
  type ProjectScope,
  type RunLogEntry,
  type TemplatePreview,
} from "../api.js";
import { permissions, useSession } from "../session.js";
import { ConsumerCards } from "../ui/ConsumerCards.js";
import { DeclaredSecrets } from "../ui/DeclaredSecrets.js";
import { EditorForm } from "../ui/EditorForm.js";
import { Field } from "../ui/Fields.js";
import { EditorFooter } from "./EditorFooter.js";
import { MacroManager } from "./MacroManager.js";
import { ChannelForm, type Focus } from "./TemplateChannel.js";
import {
  blankTemplate,
  fromTemplate,
  macroSecret,
  type TemplateDraft,
  toTemplateInput,
} from "./templateDraft.js";

export function TemplatesTab(props: { scope: ProjectScope }) {
  const { scope } = props;
  const can = permissions(useSession());
  const list = useQuery({ queryKey: ["templates", scope], queryFn: () => api.templates.list(scope) });
  const [editing, setEditing] = useState<MessageTemplate | "new" | null>(null);
  return (
    <section aria-labelledby="templates-title">
      <ConsumerCards<MessageTemplate>
        title="Templates"
        titleId="templates-title"
        newLabel="New template"
        canCreate={can.buildConsumers}
        items={list.data}
        detail={(t) => `${t.channel.type} ${t.enabled ? "" : "(disabled)"}`}
        empty="No templates yet."
        loadError="The templates could not be loaded."
        failed={list.isError}
        onNew={() => setEditing("new")}
        onOpen={setEditing}
      />
      {editing ? (
        <TemplateEditor
          key={editing === "new" ? "new" : editing.id}
          scope={scope}
          existing={editing === "new" ? null : editing}
          readOnly={!can.buildConsumers}
        />
      ) : null}
    </section>
  );
}

type InsertTarget = { el: HTMLInputElement | HTMLTextAreaElement; set(v: string): void };

/** Inserts text at the cursor of the field focused last (the body when none was), and puts the cursor after it. */
function useCursorInsert(fallback: () => InsertTarget) {
  const target = useRef<InsertTarget | null>(null);
  const focus: Focus = (setter) => (e) => {
    target.current = { el: e.currentTarget, set: setter };
  };
  const insertAtCursor = (text: string) => {
    const t = target.current ?? fallback();
    const start = t.el.selectionStart ?? t.el.value.length;
    const end = t.el.selectionEnd ?? start;
    t.set(t.el.value.slice(0, start) + text + t.el.value.slice(end));
    requestAnimationFrame(() => {
      t.el.focus();
      t.el.setSelectionRange(start + text.length, start + text.length);
    });
  };
  return { focus, insertAtCursor };
}

function TemplateEditor(props: { scope: ProjectScope; existing: MessageTemplate | null; readOnly: boolean }) {
  const { scope } = props;
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<TemplateDraft>(() =>
    props.existing ? fromTemplate(props.existing) : blankTemplate,
  );
  const [id, setId] = useState<string | null>(props.existing?.id ?? null);
  const [result, setResult] = useState<RunLogEntry | null>(null);
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
  const persist = async () => {
    const input = toTemplateInput(draft);
    const saved = id
      ? await api.templates.update(scope, id, input)
      : await api.templates.create(scope, input);
    setId(saved.id);
    void queryClient.invalidateQueries({ queryKey: ["templates", scope] });
    void queryClient.invalidateQueries({ queryKey: ["secrets"] });
    return saved;
  };
  const save = useMutation({ mutationFn: persist });
  const test = useMutation({
    mutationFn: async () => api.templates.test(scope, (await persist()).id, {}),
    onSuccess: (entry) => {
      setResult(entry);
      void queryClient.invalidateQueries({ queryKey: ["logs", scope] });
    },
  });

  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const { focus, insertAtCursor } = useCursorInsert(() => ({
    el: bodyRef.current!,
    set: (v: string) => set({ body: v }),
  }));
  const insert = (m: Macro) => {
    const secret = macroSecret(m.insert);
    if (secret) declare(secret);
    insertAtCursor(m.insert);
  };

  return (
    <EditorForm label="Template editor" onSave={() => save.mutate()}>
      <div className="template-layout">
        <fieldset disabled={props.readOnly}>
          <Field
            label="Template name"
            value={draft.name}
            onChange={(e) => set({ name: e.target.value })}
            required
          />
          <Field
            label="Event"
            value={draft.event}
            onChange={(e) => set({ event: e.target.value })}
            hint="Sends for events whose name starts with this; empty sends for every event."
          />
          <Field
            label="Subject"
            value={draft.subject}
            onFocus={focus((v) => set({ subject: v }))}
            onChange={(e) => set({ subject: e.target.value })}
            hint="The email's subject; a webhook receives it as subject."
          />
          <div className="field">
            <label htmlFor="template-body">Body</label>
            <textarea
              id="template-body"
              ref={bodyRef}
              rows={8}
              value={draft.body}
              spellCheck={false}
              onFocus={focus((v) => set({ body: v }))}
              onChange={(e) => set({ body: e.target.value })}
            />
          </div>
          <DeclaredSecrets
            label="Secrets this template uses"
            names={draft.secrets}
            onRemove={(n) => set({ secrets: draft.secrets.filter((x) => x !== n) })}
          />
          <ChannelForm scope={scope} draft={draft} set={set} declare={declare} focus={focus} />
        </fieldset>
        {props.readOnly ? null : <MacroManager scope={scope} onInsert={insert} />}
      </div>
      <PreviewPane
        preview={draft.body === "" ? null : (preview.data ?? null)}
        error={preview.error}
        updating={typed !== settled || preview.isFetching}
      />
      <EditorFooter
        readOnly={props.readOnly}
        error={save.error ?? test.error}
        saveDisabled={save.isPending}
        saved={save.isSuccess}
        trialLabel="Send test"
        trialDisabled={test.isPending}
        onTrial={() => test.mutate()}
        resultTitle="Test send"
        result={result}
      />
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

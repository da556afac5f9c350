/**
 * The integration editor: request fields that take `{{{NAME}}}` templates, the secret picker that inserts
 * one at the cursor of the field last focused, and "Test", which shows the run-log entry (redacted).
 */
import { useState } from "react";
import { api, type Integration, type ProjectScope, type SecretMetadata } from "../api.js";
import { permissions, useSession } from "../session.js";
import { NameAndEvent } from "../ui/ConsumerFields.js";
import { ConsumerTab, type EditorProps } from "../ui/ConsumerTab.js";
import { useConsumerEditor } from "../ui/consumerEditor.js";
import { useCursorInsert } from "../ui/cursorInsert.js";
import { DeclaredSecrets, SecretTools } from "../ui/DeclaredSecrets.js";
import { EditorForm } from "../ui/EditorForm.js";
import { Check, Field, Select, TextArea } from "../ui/Fields.js";
import { PairList } from "../ui/PairList.js";
import { type Pair, toPairs, toRecord } from "../ui/pairs.js";
import { EditorFooter } from "./EditorFooter.js";
import { EditSecretDrawer } from "./SecretForms.js";

interface Draft {
  name: string;
  event: string;
  method: string;
  url: string;
  headers: Pair<string>[];
  query: Pair<string>[];
  body: string;
  basicAuth: boolean;
  username: string;
  password: string;
  secrets: string[];
}

const blank: Draft = {
  name: "",
  event: "",
  method: "POST",
  url: "",
  headers: [],
  query: [],
  body: "",
  basicAuth: false,
  username: "",
  password: "",
  secrets: [],
};

function fromIntegration(i: Integration): Draft {
  const { request } = i;
  return {
    name: i.name,
    event: i.event,
    method: request.method,
    url: request.url,
    headers: toPairs(request.headers),
    query: toPairs(request.query),
    body: request.body ?? "",
    basicAuth: request.basicAuth !== null,
    username: request.basicAuth?.username ?? "",
    password: request.basicAuth?.password ?? "",
    secrets: i.secrets,
  };
}

function toInput(d: Draft) {
  return {
    name: d.name,
    event: d.event,
    secrets: d.secrets,
    request: {
      method: d.method,
      url: d.url,
      headers: toRecord(d.headers),
      query: toRecord(d.query),
      body: d.body === "" ? null : d.body,
      basicAuth: d.basicAuth ? { username: d.username, password: d.password } : null,
    },
  };
}

export function IntegrationsTab(props: { scope: ProjectScope }) {
  return <ConsumerTab scope={props.scope} kind="integrations" detail={describe} editor={IntegrationEditor} />;
}

const describe = (i: Integration) => `${i.request.method} ${i.request.url} ${i.enabled ? "" : "(disabled)"}`;

function IntegrationEditor(props: EditorProps<Integration>) {
  const { scope } = props;
  const can = permissions(useSession());
  const [draft, setDraft] = useState<Draft>(props.existing ? fromIntegration(props.existing) : blank);
  const [editing, setEditing] = useState<SecretMetadata | null>(null);
  const openEdit = async (name: string) => {
    setEditing(await api.secrets.get(scope, name));
  };
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  /** Sets one text of the draft as it is when called: a late insert keeps what was typed since. */
  const setText = (key: "url" | "body" | "username" | "password") => (v: string) =>
    setDraft((d) => ({ ...d, [key]: v }));
  const edit = useConsumerEditor("integrations", props, () => toInput(draft));

  // Before any field was used, a reference goes at the end of the URL.
  const cursor = useCursorInsert((text) => setDraft((d) => ({ ...d, url: d.url + text })));
  const insert = (name: string) => {
    setDraft((d) => (d.secrets.includes(name) ? d : { ...d, secrets: [...d.secrets, name] }));
    cursor.insert(`{{{${name}}}}`);
  };
  const pairs = (which: "headers" | "query", label: string, addLabel: string) => (
    <PairList
      legend={label}
      prefix={label}
      addLabel={addLabel}
      blank=""
      pairs={draft[which]}
      update={(change) => setDraft((d) => ({ ...d, [which]: change(d[which]) }))}
      value={(label, value, setValue) => (
        <Field
          label={label}
          value={value}
          onFocus={cursor.focus(setValue)}
          onChange={(e) => setValue(e.target.value)}
        />
      )}
    />
  );
  const text = (label: string, key: "url" | "username" | "password", hint?: string) => (
    <Field
      label={label}
      value={draft[key]}
      onFocus={cursor.focus(setText(key))}
      onChange={(e) => set({ [key]: e.target.value })}
      required={key === "url"}
      {...(hint ? { hint } : {})}
    />
  );

  return (
    <>
      <EditorForm label="Integration editor" onSave={edit.save}>
        <fieldset disabled={props.readOnly}>
          <NameAndEvent noun="Integration" draft={draft} verb="runs" onChange={set} />
          <div className="row">
            <Select
              label="Method"
              value={draft.method}
              onChange={(method) => set({ method })}
              options={["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => ({ value: m, label: m }))}
            />
            {text("URL", "url")}
          </div>
          <SecretTools
            scope={scope}
            onPick={insert}
            canCreate={can.manageSecrets}
            hint="Picking a secret inserts its reference at the cursor of the field you last used."
          >
            <DeclaredSecrets
              label="Secrets this integration uses"
              names={draft.secrets}
              {...(can.manageSecrets ? { onEdit: (n: string) => void openEdit(n) } : {})}
              onRemove={(n) => set({ secrets: draft.secrets.filter((x) => x !== n) })}
            />
          </SecretTools>
          {pairs("headers", "Headers", "Add header")}
          {pairs("query", "Query", "Add query parameter")}
          <TextArea
            label="Body"
            rows={5}
            value={draft.body}
            onFocus={cursor.focus(setText("body"))}
            onChange={(e) => set({ body: e.target.value })}
          />
          <Check
            label="Basic authentication"
            checked={draft.basicAuth}
            onChange={(basicAuth) => set({ basicAuth })}
          />
          {draft.basicAuth ? (
            <div className="row">
              {text("Basic auth username", "username")}
              {text(
                "Basic auth password",
                "password",
                "Use a secret reference here, never a literal password.",
              )}
            </div>
          ) : null}
        </fieldset>
        <EditorFooter edit={edit} readOnly={props.readOnly} trial={["Test", "Test run"]} />
      </EditorForm>
      {editing ? (
        <EditSecretDrawer
          scope={editing.scope === "org" ? { org: scope.org } : scope}
          secret={editing}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </>
  );
}

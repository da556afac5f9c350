/**
 * The integration editor: request fields that take `{{{NAME}}}` templates, the secret picker that inserts
 * one at the cursor of the field last focused, and "Test", which shows the run-log entry (redacted).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { api, type Integration, type ProjectScope, type RunLogEntry, type SecretMetadata } from "../api.js";
import { permissions, useSession } from "../session.js";
import { ConsumerCards } from "../ui/ConsumerCards.js";
import { EditorForm, HiddenValue } from "../ui/EditorForm.js";
import { Field } from "../ui/Fields.js";
import { SecretPicker } from "../ui/SecretPicker.js";
import { EditorFooter } from "./EditorFooter.js";
import { EditSecretDrawer } from "./SecretForms.js";

type Pair = { id: number; key: string; value: string };
let pairIds = 0;
interface Draft {
  name: string;
  event: string;
  method: string;
  url: string;
  headers: Pair[];
  query: Pair[];
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
  return {
    name: i.name,
    event: i.event,
    method: i.request.method,
    url: i.request.url,
    headers: Object.entries(i.request.headers).map(([key, value]) => ({ id: ++pairIds, key, value })),
    query: Object.entries(i.request.query).map(([key, value]) => ({ id: ++pairIds, key, value })),
    body: i.request.body ?? "",
    basicAuth: i.request.basicAuth !== null,
    username: i.request.basicAuth?.username ?? "",
    password: i.request.basicAuth?.password ?? "",
    secrets: i.secrets,
  };
}

const toRecord = (pairs: Pair[]) =>
  Object.fromEntries(pairs.filter((p) => p.key !== "").map((p) => [p.key, p.value]));

/** Where the picker inserts: the template field focused last, at its cursor. */
type InsertTarget = { el: HTMLInputElement | HTMLTextAreaElement; set(v: string): void };

export function IntegrationsTab(props: { scope: ProjectScope }) {
  const { scope } = props;
  const session = useSession();
  const can = permissions(session);
  const list = useQuery({ queryKey: ["integrations", scope], queryFn: () => api.integrations.list(scope) });
  const [editing, setEditing] = useState<Integration | "new" | null>(() => {
    return new URLSearchParams(location.search).get("new") === "1" ? "new" : null;
  });
  return (
    <section aria-labelledby="integrations-title">
      <ConsumerCards<Integration>
        title="Integrations"
        titleId="integrations-title"
        newLabel="New integration"
        canCreate={can.buildConsumers}
        items={list.data}
        detail={(i) => `${i.request.method} ${i.request.url} ${i.enabled ? "" : "(disabled)"}`}
        empty="No integrations yet."
        failed={list.isError}
        onNew={() => setEditing("new")}
        onOpen={setEditing}
      />
      {editing ? (
        <IntegrationEditor
          key={editing === "new" ? "new" : editing.id}
          scope={scope}
          existing={editing === "new" ? null : editing}
          readOnly={!can.buildConsumers}
          onSaved={(i) => setEditing(i)}
        />
      ) : null}
    </section>
  );
}

function IntegrationEditor(props: {
  scope: ProjectScope;
  existing: Integration | null;
  readOnly: boolean;
  onSaved(i: Integration): void;
}) {
  const { scope } = props;
  const session = useSession();
  const can = permissions(session);
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(props.existing ? fromIntegration(props.existing) : blank);
  const [result, setResult] = useState<RunLogEntry | null>(null);
  const [id, setId] = useState<string | null>(props.existing?.id ?? null);
  const [editing, setEditing] = useState<SecretMetadata | null>(null);
  const openEdit = async (name: string) => {
    setEditing(await api.secrets.get(scope, name));
  };
  const target = useRef<InsertTarget | null>(null);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  const input = () => ({
    name: draft.name,
    event: draft.event,
    secrets: draft.secrets,
    request: {
      method: draft.method,
      url: draft.url,
      headers: toRecord(draft.headers),
      query: toRecord(draft.query),
      body: draft.body === "" ? null : draft.body,
      basicAuth: draft.basicAuth ? { username: draft.username, password: draft.password } : null,
    },
  });
  const save = useMutation({
    mutationFn: () =>
      id ? api.integrations.update(scope, id, input()) : api.integrations.create(scope, input()),
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: ["integrations", scope] });
      void queryClient.invalidateQueries({ queryKey: ["secrets"] });
      props.onSaved(saved);
    },
  });
  const test = useMutation({
    mutationFn: async () => {
      const saved = id
        ? await api.integrations.update(scope, id, input())
        : await api.integrations.create(scope, input());
      setId(saved.id);
      return { saved, entry: await api.integrations.test(scope, saved.id, {}) };
    },
    onSuccess: ({ entry }) => {
      setResult(entry);
      void queryClient.invalidateQueries({ queryKey: ["integrations", scope] });
      void queryClient.invalidateQueries({ queryKey: ["logs", scope] });
    },
  });

  const focusTarget =
    (set: (v: string) => void) => (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) => {
      target.current = { el: e.currentTarget, set };
    };
  const insert = (name: string) => {
    if (!draft.secrets.includes(name)) set({ secrets: [...draft.secrets, name] });
    const macro = `{{{${name}}}}`;
    const t = target.current;
    if (!t) {
      set({
        url: draft.url + macro,
        secrets: draft.secrets.includes(name) ? draft.secrets : [...draft.secrets, name],
      });
      return;
    }
    const start = t.el.selectionStart ?? t.el.value.length;
    const end = t.el.selectionEnd ?? start;
    const next = t.el.value.slice(0, start) + macro + t.el.value.slice(end);
    t.set(next);
    requestAnimationFrame(() => {
      t.el.focus();
      t.el.setSelectionRange(start + macro.length, start + macro.length);
    });
  };

  const pairs = (which: "headers" | "query", label: string) => (
    <fieldset>
      <legend>{label}</legend>
      {draft[which].map((p, i) => (
        <div className="pair" key={p.id}>
          <Field
            label={`${label} name ${i + 1}`}
            value={p.key}
            onChange={(e) =>
              set({ [which]: draft[which].map((x, j) => (j === i ? { ...x, key: e.target.value } : x)) })
            }
          />
          <Field
            label={`${label} value ${i + 1}`}
            value={p.value}
            onFocus={focusTarget((v) =>
              setDraft((d) => ({
                ...d,
                [which]: d[which].map((x, j) => (j === i ? { ...x, value: v } : x)),
              })),
            )}
            onChange={(e) =>
              set({ [which]: draft[which].map((x, j) => (j === i ? { ...x, value: e.target.value } : x)) })
            }
          />
          <button
            type="button"
            className="ghost"
            aria-label={`Remove ${label.toLowerCase()} ${i + 1}`}
            onClick={() => set({ [which]: draft[which].filter((_, j) => j !== i) })}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="secondary"
        onClick={() => set({ [which]: [...draft[which], { id: ++pairIds, key: "", value: "" }] })}
      >
        Add {label.toLowerCase() === "headers" ? "header" : "query parameter"}
      </button>
    </fieldset>
  );

  return (
    <>
      <EditorForm label="Integration editor" onSave={() => save.mutate()}>
        <fieldset disabled={props.readOnly}>
          <Field
            label="Integration name"
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
          <div className="row">
            <label className="field">
              <span className="label">Method</span>
              <select value={draft.method} onChange={(e) => set({ method: e.target.value })}>
                {["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            </label>
            <Field
              label="URL"
              value={draft.url}
              onFocus={focusTarget((v) => setDraft((d) => ({ ...d, url: v })))}
              onChange={(e) => set({ url: e.target.value })}
              required
            />
          </div>
          <div className="secret-tools">
            <SecretPicker scope={scope} onPick={insert} canCreate={can.manageSecrets} />
            <p className="hint">
              Picking a secret inserts its reference at the cursor of the field you last used.
            </p>
            {draft.secrets.length > 0 ? (
              <ul className="chosen" aria-label="Secrets this integration uses">
                {draft.secrets.map((n) => (
                  <li key={n}>
                    <span>{n}</span> <HiddenValue />
                    {can.manageSecrets ? (
                      <button
                        type="button"
                        className="ghost"
                        aria-label={`Edit value of ${n}`}
                        onClick={() => void openEdit(n)}
                      >
                        Edit value
                      </button>
                    ) : null}
                    <button
                      type="button"
                      className="ghost"
                      aria-label={`Stop using ${n}`}
                      onClick={() => set({ secrets: draft.secrets.filter((x) => x !== n) })}
                    >
                      ×
                    </button>
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
          {pairs("headers", "Headers")}
          {pairs("query", "Query")}
          <div className="field">
            <label htmlFor="integration-body">Body</label>
            <textarea
              id="integration-body"
              rows={5}
              value={draft.body}
              spellCheck={false}
              onFocus={focusTarget((v) => setDraft((d) => ({ ...d, body: v })))}
              onChange={(e) => set({ body: e.target.value })}
            />
          </div>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.basicAuth}
              onChange={(e) => set({ basicAuth: e.target.checked })}
            />
            Basic authentication
          </label>
          {draft.basicAuth ? (
            <div className="row">
              <Field
                label="Basic auth username"
                value={draft.username}
                onFocus={focusTarget((v) => setDraft((d) => ({ ...d, username: v })))}
                onChange={(e) => set({ username: e.target.value })}
              />
              <Field
                label="Basic auth password"
                value={draft.password}
                hint="Use a secret reference here, never a literal password."
                onFocus={focusTarget((v) => setDraft((d) => ({ ...d, password: v })))}
                onChange={(e) => set({ password: e.target.value })}
              />
            </div>
          ) : null}
        </fieldset>
        <EditorFooter
          readOnly={props.readOnly}
          error={save.error ?? test.error}
          saveDisabled={save.isPending}
          saved={save.isSuccess}
          trialLabel="Test"
          trialDisabled={test.isPending}
          onTrial={() => test.mutate()}
          resultTitle="Test run"
          result={result}
        />
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

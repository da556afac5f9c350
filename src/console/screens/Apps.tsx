/**
 * Apps (X8): the built-in catalog, an install form whose secret fields are secret pickers (each producing
 * `{"expr": "secrets.NAME"}`, or `secrets.NAME.password` for a part of a username-and-password secret,
 * never a literal) and whose request timeout is a number field, the project's installations, and invoking
 * an action.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { type App, api, errorText, type Installation, type ProjectScope, type Str } from "../api.js";
import { permissions, useSession } from "../session.js";
import { ConfirmDialog } from "../ui/Dialogs.js";
import { EditorForm, HiddenValue } from "../ui/EditorForm.js";
import { secretRef } from "../ui/expression.js";
import { ErrorLine, Field } from "../ui/Fields.js";
import { Grid, RowButton } from "../ui/Grid.js";
import { SecretPicker } from "../ui/SecretPicker.js";
import { isExpr } from "../ui/StrField.js";
import { InvokeAction } from "./InvokeAction.js";

/** An installation's request timeout, as the API bounds it (0255, X2). */
const DEFAULT_TIMEOUT_MS = 10_000;
const TIMEOUT_MS_MAX = 30_000;

type Editing = { app: App; existing: Installation | null };

export function AppsTab(props: { scope: ProjectScope }) {
  const { scope } = props;
  const can = permissions(useSession());
  const queryClient = useQueryClient();
  const apps = useQuery({ queryKey: ["apps"], queryFn: () => api.apps.list(), staleTime: 60_000 });
  const list = useQuery({ queryKey: ["installations", scope], queryFn: () => api.installations.list(scope) });
  const [editing, setEditing] = useState<Editing | null>(null);
  const [invoking, setInvoking] = useState<Installation | null>(null);
  const [removing, setRemoving] = useState<Installation | null>(null);
  const remove = useMutation({
    mutationFn: (name: string) => api.installations.delete(scope, name),
    onSuccess: () => {
      setRemoving(null);
      void queryClient.invalidateQueries({ queryKey: ["installations", scope] });
      void queryClient.invalidateQueries({ queryKey: ["secrets"] });
    },
  });
  const appOf = (i: Installation) => apps.data?.find((a) => a.id === i.app);
  return (
    <section aria-labelledby="apps-title">
      <h2 id="apps-title">Apps</h2>
      <h3>Catalog</h3>
      {apps.isError ? <p className="error">The app catalog could not be loaded.</p> : null}
      <ul className="cards catalog">
        {(apps.data ?? []).map((a) => (
          <li key={a.id}>
            <strong>{a.name}</strong>{" "}
            <span className="muted small">
              actions: {a.actions.map((x) => x.name).join(", ")}; secret fields:{" "}
              {a.fields
                .filter((f) => f.secret)
                .map((f) => f.label)
                .join(", ") || "none"}
            </span>{" "}
            {can.buildConsumers ? (
              <RowButton
                className="secondary"
                ariaLabel={`Install ${a.name}`}
                onClick={() => setEditing({ app: a, existing: null })}
              >
                Install
              </RowButton>
            ) : null}
          </li>
        ))}
      </ul>
      {editing ? (
        <InstallForm
          key={`${editing.app.id}-${editing.existing?.name ?? "new"}`}
          scope={scope}
          app={editing.app}
          existing={editing.existing}
          onDone={(i) => {
            setEditing(null);
            setInvoking(i);
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <h3 id="installations-title">Installations</h3>
      {list.isSuccess && list.data.length === 0 ? <p className="empty">No installations yet.</p> : null}
      {list.data && list.data.length > 0 ? (
        <Grid
          labelledBy="installations-title"
          columns={["Name", "App", "Base URL", "Secrets"]}
          rows={list.data}
          rowKey={(i) => i.name}
          cells={(i) => [i.name, appOf(i)?.name ?? i.app, i.baseUrl ?? "default", i.secrets.join(", ")]}
          actions={(i) => (
            <>
              <RowButton ariaLabel={`Invoke an action of ${i.name}`} onClick={() => setInvoking(i)}>
                Invoke
              </RowButton>
              {can.buildConsumers && appOf(i) ? (
                <RowButton
                  ariaLabel={`Edit ${i.name}`}
                  onClick={() => setEditing({ app: appOf(i)!, existing: i })}
                >
                  Edit
                </RowButton>
              ) : null}
              {can.buildConsumers ? (
                <RowButton ariaLabel={`Delete ${i.name}`} onClick={() => setRemoving(i)}>
                  Delete
                </RowButton>
              ) : null}
            </>
          )}
        />
      ) : null}
      {invoking && appOf(invoking) ? (
        <InvokeAction key={invoking.name} scope={scope} installation={invoking} app={appOf(invoking)!} />
      ) : null}
      {removing ? (
        <ConfirmDialog
          title={`Delete ${removing.name}?`}
          confirmLabel="Delete installation"
          onConfirm={() => remove.mutate(removing.name)}
          onClose={() => setRemoving(null)}
          disabled={remove.isPending}
          error={remove.error}
        >
          <p>An installation that a flow's app step uses cannot be deleted: remove those steps first.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/** The secret named by a field's `secrets.NAME` expression (or `secrets.NAME.part` of a typed one), if any. */
/**
 * An app whose own fields name its endpoint (the generic HTTP apps' `base_url`): the installation's
 * "Base URL override" would only repeat that field, so the form shows it only when one is already set.
 */
function ownsBaseUrl(app: App): boolean {
  return app.fields.some((f) => f.key === "base_url");
}

function pickedSecret(v: Str | undefined): string | null {
  if (!isExpr(v ?? null)) return null;
  const part = String.raw`(?:\s*(?:\.\s*[\w$]+|\[\s*["'][\w-]+["']\s*\]))*`;
  const ref = new RegExp(String.raw`^\s*secrets(?:\.([\w$]+)|\[\s*["']([\w-]+)["']\s*\])${part}\s*$`);
  const m = ref.exec((v as { expr: string }).expr);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function InstallForm(props: {
  scope: ProjectScope;
  app: App;
  existing: Installation | null;
  onDone(i: Installation): void;
  onCancel(): void;
}) {
  const { scope, app } = props;
  const can = permissions(useSession());
  const queryClient = useQueryClient();
  const [name, setName] = useState(props.existing?.name ?? app.id.replace(/_/g, "-"));
  const [baseUrl, setBaseUrl] = useState(props.existing?.baseUrl ?? "");
  const [config, setConfig] = useState<Record<string, Str>>(props.existing?.config ?? {});
  const [timeoutMs, setTimeoutMs] = useState(String(props.existing?.timeoutMs ?? DEFAULT_TIMEOUT_MS));
  const secrets = [...new Set(app.fields.map((f) => pickedSecret(config[f.key])).filter((n) => n !== null))];
  const save = useMutation({
    mutationFn: () => {
      const input = {
        name,
        app: app.id,
        baseUrl: baseUrl === "" ? null : baseUrl,
        secrets,
        config,
        timeoutMs: Number(timeoutMs),
      };
      return props.existing
        ? api.installations.update(scope, props.existing.name, input)
        : api.installations.create(scope, input);
    },
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: ["installations", scope] });
      void queryClient.invalidateQueries({ queryKey: ["secrets"] });
      props.onDone(saved);
    },
  });
  const setField = (key: string, v: Str | undefined) =>
    setConfig((c) => {
      const next = { ...c };
      if (v === undefined) delete next[key];
      else next[key] = v;
      return next;
    });
  return (
    <EditorForm label={`Install ${app.name}`} onSave={() => save.mutate()}>
      <h3>{props.existing ? `Edit ${props.existing.name}` : `Install ${app.name}`}</h3>
      <Field
        label="Installation name"
        value={name}
        readOnly={props.existing !== null}
        onChange={(e) => setName(e.target.value)}
        required
      />
      {app.fields.map((f) =>
        f.secret ? (
          <div className="field" key={f.key}>
            <SecretPicker
              scope={scope}
              label={`${f.label} (secret)`}
              canCreate={can.manageSecrets}
              parts
              onPick={(n, part) => setField(f.key, { expr: secretRef(n, part) })}
            />
            {pickedSecret(config[f.key]) ? (
              <p className="chosen-line">
                <code>{(config[f.key] as { expr: string }).expr}</code> <HiddenValue />{" "}
                <button
                  type="button"
                  className="ghost"
                  aria-label={`Clear ${f.label}`}
                  onClick={() => setField(f.key, undefined)}
                >
                  Clear
                </button>
              </p>
            ) : (
              <p className="hint">
                A secret field takes a secret (or one part of a username-and-password secret), never a typed
                value.{f.required ? " Required." : ""}
              </p>
            )}
          </div>
        ) : (
          <Field
            key={f.key}
            label={f.label}
            value={typeof config[f.key] === "string" ? (config[f.key] as string) : ""}
            required={f.required}
            onChange={(e) => setField(f.key, e.target.value)}
          />
        ),
      )}
      {ownsBaseUrl(app) && baseUrl === "" ? null : (
        <Field
          label="Base URL override"
          value={baseUrl}
          onChange={(e) => setBaseUrl(e.target.value)}
          hint="Leave empty for the service's own API; set it for a proxy or a local server."
        />
      )}
      <Field
        label="Timeout (ms)"
        type="number"
        inputMode="numeric"
        min={1}
        max={TIMEOUT_MS_MAX}
        step={1}
        required
        value={timeoutMs}
        onChange={(e) => setTimeoutMs(e.target.value)}
        hint={`How long each action's request may take, in milliseconds: 1 to ${TIMEOUT_MS_MAX}, ${DEFAULT_TIMEOUT_MS} by default.`}
      />
      <ErrorLine error={save.error ? errorText(save.error) : null} />
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {props.existing ? "Save installation" : "Install"}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </EditorForm>
  );
}

/**
 * The create and edit drawers. A typed value lives in this component's state until it is sent, then the
 * state is cleared and the drawer closes: nothing keeps it (no storage, no URL, no query cache).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import {
  api,
  errorText,
  type Scope,
  type SecretMetadata,
  type SecretType,
  type SecretValue,
} from "../api.js";
import { nameProblem, TYPE_LABELS } from "../format.js";
import { useSession } from "../session.js";
import { CodeEditor, jsonProblem } from "../ui/CodeEditor.js";
import { FormActions } from "../ui/Dialogs.js";
import { ErrorLine, Field, SecretInput, Select } from "../ui/Fields.js";
import { Modal } from "../ui/Modal.js";

interface ValueState {
  token: string;
  username: string;
  password: string;
  json: string;
}
const EMPTY: ValueState = { token: "", username: "", password: "", json: "" };

function toValue(type: SecretType, v: ValueState): SecretValue {
  if (type === "token") return v.token;
  if (type === "username_password") return { username: v.username, password: v.password };
  return JSON.parse(v.json) as SecretValue;
}

function valueProblem(type: SecretType, v: ValueState): string | null {
  if (type === "token") return v.token === "" ? "Enter a value." : null;
  if (type === "username_password") return v.password === "" ? "Enter a password." : null;
  const p = jsonProblem(v.json);
  if (p) return `The JSON is not valid (line ${p.line}, column ${p.column}).`;
  const parsed = JSON.parse(v.json) as unknown;
  return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? null : "Enter a JSON object.";
}

function shortValue(type: SecretType, v: ValueState): boolean {
  if (type === "token") return v.token.length > 0 && v.token.length < 4;
  if (type === "username_password") return v.password.length > 0 && v.password.length < 4;
  return false;
}

function ValueFields(props: {
  type: SecretType;
  value: ValueState;
  onChange(v: ValueState): void;
  label: string;
}) {
  const { type, value, onChange } = props;
  if (type === "token") {
    return (
      <SecretInput label="Value" value={value.token} onChange={(token) => onChange({ ...value, token })} />
    );
  }
  if (type === "username_password") {
    return (
      <>
        <Field
          label="Username"
          value={value.username}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => onChange({ ...value, username: e.target.value })}
        />
        <SecretInput
          label="Password"
          value={value.password}
          onChange={(password) => onChange({ ...value, password })}
        />
      </>
    );
  }
  return (
    <CodeEditor
      label={props.label}
      language="json"
      value={value.json}
      onChange={(json) => onChange({ ...value, json })}
    />
  );
}

function Warnings(props: { type: SecretType; value: ValueState }) {
  return (
    <>
      {shortValue(props.type, props.value) ? (
        <p className="warning" role="status">
          This value is shorter than 4 characters. Short values are not masked in run logs, because hiding
          them would hide ordinary text too.
        </p>
      ) : null}
      <p className="note">
        Once saved, this value cannot be shown to you again, here or anywhere else. If you will need it later,
        keep a copy in a safe place of your own.
      </p>
    </>
  );
}

/** The end of both drawers: what keeps the form from being sent (once tried), the server's refusal, the buttons. */
function DrawerEnd(props: { problem: string | null; error: unknown; busy: boolean; onCancel(): void }) {
  return (
    <>
      {props.problem ? (
        <p role="alert" className="error">
          {props.problem}
        </p>
      ) : null}
      <ErrorLine error={props.error ? errorText(props.error) : null} />
      <FormActions submitLabel="Submit" busy={props.busy} onCancel={props.onCancel} />
    </>
  );
}

export function CreateSecretDrawer(props: {
  scope: Scope;
  onClose(): void;
  onCreated?(s: SecretMetadata): void;
}) {
  const session = useSession();
  const policy = session.settings?.namingPolicy ?? "upper_snake";
  const nameLabel = policy === "alias" ? "Alias" : "Name";
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [type, setType] = useState<SecretType>("token");
  const [visibility, setVisibility] = useState<"restricted" | "masked">("restricted");
  const [description, setDescription] = useState("");
  const [value, setValue] = useState<ValueState>(EMPTY);
  const [tried, setTried] = useState(false);
  const create = useMutation({
    mutationFn: () =>
      api.secrets.create(props.scope, { name, type, value: toValue(type, value), visibility, description }),
    onSuccess: (created) => {
      setValue(EMPTY);
      void queryClient.invalidateQueries({ queryKey: ["secrets"] });
      props.onCreated?.(created);
      props.onClose();
    },
  });
  const nameError = nameProblem(policy, name);
  const problem = valueProblem(type, value);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (nameError || name === "" || problem) return;
    create.mutate();
  };
  return (
    <Modal title="Create secret" kind="drawer" onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        <Field
          label={nameLabel}
          value={name}
          data-autofocus=""
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={nameError ? true : undefined}
          hint={
            nameError ?? (policy === "alias" ? "Lowercase letters, digits, - and _." : "For example API_KEY.")
          }
        />
        <Select
          label="Secret type"
          value={type}
          onChange={(t) => setType(t as SecretType)}
          options={Object.entries(TYPE_LABELS).map(([v, label]) => ({ value: v, label }))}
        />
        <ValueFields type={type} value={value} onChange={setValue} label="Value (JSON)" />
        <Select
          label="Visibility"
          value={visibility}
          onChange={(v) => setVisibility(v as "restricted" | "masked")}
          options={[
            { value: "restricted", label: "Restricted: nobody can read it back" },
            { value: "masked", label: "Masked: owners and admins can reveal it" },
          ]}
        />
        <p className="hint">Visibility cannot be changed after the secret is created.</p>
        <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
        <Warnings type={type} value={value} />
        <DrawerEnd
          problem={
            tried ? (name === "" ? `Enter a ${nameLabel.toLowerCase()}.` : (nameError ?? problem)) : null
          }
          error={create.error}
          busy={create.isPending}
          onCancel={props.onClose}
        />
      </form>
    </Modal>
  );
}

export function EditSecretDrawer(props: { scope: Scope; secret: SecretMetadata; onClose(): void }) {
  const { secret } = props;
  const session = useSession();
  const nameLabel = session.settings?.namingPolicy === "alias" ? "Alias" : "Name";
  const queryClient = useQueryClient();
  const [value, setValue] = useState<ValueState>(EMPTY);
  const [tried, setTried] = useState(false);
  const update = useMutation({
    mutationFn: () =>
      api.secrets.updateValue(props.scope, secret.name, {
        value: toValue(secret.type, value),
        expectedVersion: secret.version,
      }),
    onSuccess: () => {
      setValue(EMPTY);
      void queryClient.invalidateQueries({ queryKey: ["secrets"] });
      void queryClient.invalidateQueries({ queryKey: ["secret"] });
      props.onClose();
    },
  });
  const problem = valueProblem(secret.type, value);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (problem) return;
    update.mutate();
  };
  return (
    <Modal title="Edit secret" kind="drawer" onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        <Field label={nameLabel} value={secret.name} readOnly aria-readonly="true" />
        <Field label="Secret type" value={TYPE_LABELS[secret.type]} readOnly aria-readonly="true" />
        <p className="hint">
          The current value cannot be shown. Enter a new value to replace it: consumers use it from their next
          run.
        </p>
        <ValueFields type={secret.type} value={value} onChange={setValue} label="New value (JSON)" />
        <Warnings type={secret.type} value={value} />
        <DrawerEnd
          problem={tried ? problem : null}
          error={update.error}
          busy={update.isPending}
          onCancel={props.onClose}
        />
      </form>
    </Modal>
  );
}

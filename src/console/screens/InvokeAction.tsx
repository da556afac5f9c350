/** Invoking an installation's action directly (X8): its input fields, and the redacted run-log entry. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { type App, api, errorText, type Installation, type ProjectScope } from "../api.js";
import { ErrorLine, Field, Select } from "../ui/Fields.js";
import { RunEntry } from "./RunEntry.js";

export function InvokeAction(props: { scope: ProjectScope; installation: Installation; app: App }) {
  const { scope, installation, app } = props;
  const queryClient = useQueryClient();
  const [action, setAction] = useState(app.actions[0]?.id ?? "");
  const [input, setInput] = useState<Record<string, string>>({});
  const spec = app.actions.find((a) => a.id === action);
  const invoke = useMutation({
    mutationFn: () => api.installations.invoke(scope, installation.name, action, input),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["logs", scope] }),
  });
  return (
    <form
      className="editor"
      aria-label={`Invoke an action of ${installation.name}`}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        invoke.mutate();
      }}
    >
      <h3>Invoke an action of {installation.name}</h3>
      <Select
        label="Action"
        value={action}
        onChange={(a) => {
          setAction(a);
          setInput({});
        }}
        options={app.actions.map((a) => ({ value: a.id, label: a.name }))}
      />
      {(spec?.input ?? []).map((f) => (
        <Field
          key={f.key}
          label={f.label}
          value={input[f.key] ?? ""}
          required={f.required}
          onChange={(e) => setInput((i) => ({ ...i, [f.key]: e.target.value }))}
        />
      ))}
      <ErrorLine error={invoke.error ? errorText(invoke.error) : null} />
      <div className="actions">
        <button type="submit" disabled={invoke.isPending || !spec}>
          Invoke action
        </button>
      </div>
      {invoke.data ? (
        <div aria-live="polite">
          <h4>Action result</h4>
          <RunEntry entry={invoke.data} />
        </div>
      ) : null}
    </form>
  );
}

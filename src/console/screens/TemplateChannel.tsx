/**
 * A template's channel (X5): a webhook (method, URL, headers) or email over SMTP, whose credentials come from
 * a secret picked with the secret picker (`{{secrets.NAME.username}}`, `{{secrets.NAME.password}}`), never
 * typed in.
 */
import type { ProjectScope } from "../api.js";
import { permissions, useSession } from "../session.js";
import type { Focus } from "../ui/cursorInsert.js";
import { Check, Field, Select } from "../ui/Fields.js";
import { PairList } from "../ui/PairList.js";
import { SecretPicker } from "../ui/SecretPicker.js";
import type { TemplateDraft } from "./templateDraft.js";

export function ChannelForm(props: {
  scope: ProjectScope;
  draft: TemplateDraft;
  set(patch: Partial<TemplateDraft>): void;
  declare(name: string): void;
  focus: Focus;
}) {
  const { draft, set, focus } = props;
  const can = permissions(useSession());
  const text = (label: string, key: "url" | "host" | "from" | "to", hint?: string) => (
    <Field
      label={label}
      value={draft[key]}
      onFocus={focus((v) => set({ [key]: v }))}
      onChange={(e) => set({ [key]: e.target.value })}
      {...(hint ? { hint } : {})}
    />
  );
  return (
    <fieldset>
      <legend>Channel</legend>
      <Select
        label="Channel type"
        value={draft.channel}
        onChange={(v) => set({ channel: v as TemplateDraft["channel"] })}
        options={[
          { value: "webhook", label: "Webhook" },
          { value: "email", label: "Email (SMTP)" },
        ]}
      />
      {draft.channel === "webhook" ? (
        <>
          <div className="row">
            <Select
              label="Method"
              value={draft.method}
              onChange={(method) => set({ method })}
              options={["POST", "PUT", "PATCH"].map((m) => ({ value: m, label: m }))}
            />
            {text("Webhook URL", "url", "The message goes as the JSON body {subject, body}.")}
          </div>
          <PairList
            prefix="Header"
            addLabel="Add header"
            blank=""
            pairs={draft.headers}
            update={(change) => set({ headers: change(draft.headers) })}
            value={(label, value, setValue) => (
              <Field
                label={label}
                value={value}
                onFocus={focus(setValue)}
                onChange={(e) => setValue(e.target.value)}
              />
            )}
          />
        </>
      ) : (
        <>
          <div className="row">
            {text("SMTP host", "host")}
            <Field
              label="SMTP port"
              type="number"
              min={1}
              max={65535}
              value={draft.port}
              onChange={(e) => set({ port: e.target.value })}
            />
          </div>
          <Check
            label="Implicit TLS (port 465); otherwise STARTTLS when the server offers it"
            checked={draft.secure}
            onChange={(secure) => set({ secure })}
          />
          <SecretPicker
            scope={props.scope}
            label="SMTP credentials secret"
            canCreate={can.manageSecrets}
            onPick={(n) => {
              props.declare(n);
              set({ username: `{{secrets.${n}.username}}`, password: `{{secrets.${n}.password}}` });
            }}
          />
          <p className="hint">Pick a username-and-password secret: its parts fill the two fields below.</p>
          <div className="row">
            <Field label="SMTP username" value={draft.username} readOnly />
            <Field label="SMTP password" value={draft.password} readOnly />
          </div>
          {text("From", "from")}
          {text("To", "to", "One or more addresses, separated by commas.")}
        </>
      )}
    </fieldset>
  );
}

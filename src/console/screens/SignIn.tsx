/** First-run setup and sign-in. Passwords live in the form's state only until the request is sent. */
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { api, errorText } from "../api.js";
import { EmailField, ErrorLine, Field, PasswordField } from "../ui/Fields.js";

/**
 * A credentials form (email and password, after the fields given as children): busy while the request runs,
 * the password cleared whatever the answer, the refusal shown in words, and on success every query refetched
 * as the signed-in account.
 */
function CredentialsForm(props: {
  send(credentials: { email: string; password: string }): Promise<unknown>;
  /** A new account's password (with its rule), else the current one. */
  newPassword?: boolean;
  submitLabel: string;
  children?: ReactNode;
}) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.send({ email, password });
      setPassword("");
      await queryClient.invalidateQueries();
    } catch (err) {
      setPassword("");
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit}>
      {props.children}
      <EmailField value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username" />
      <PasswordField
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        {...(props.newPassword
          ? { autoComplete: "new-password", hint: "At least 12 characters." }
          : { autoComplete: "current-password" })}
      />
      <ErrorLine error={error} />
      <button type="submit" disabled={busy}>
        {props.submitLabel}
      </button>
    </form>
  );
}

export function SetupScreen() {
  const [org, setOrg] = useState("");
  return (
    <main className="auth" id="main">
      <h1>Set up Cloakroom</h1>
      <p>Nobody has used this server yet. Create the first organization and its owner account.</p>
      <CredentialsForm
        newPassword
        submitLabel="Set up"
        send={async (c) => {
          await api.setup({ org, ...c });
          history.replaceState(null, "", `/orgs/${encodeURIComponent(org)}/secrets`);
        }}
      >
        <Field
          label="Organization"
          value={org}
          onChange={(e) => setOrg(e.target.value)}
          required
          hint="A short identifier: lowercase letters, digits and dashes."
          autoComplete="organization"
        />
      </CredentialsForm>
    </main>
  );
}

/** `note` explains why sign-in is asked (the invitation page uses it). */
export function SignInScreen(props: { note?: ReactNode } = {}) {
  return (
    <main className="auth" id="main">
      <h1>Sign in to Cloakroom</h1>
      {props.note}
      <CredentialsForm submitLabel="Sign in" send={(c) => api.login(c)} />
    </main>
  );
}

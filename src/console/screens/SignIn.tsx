/** First-run setup and sign-in. Passwords live in the form's state only until the request is sent. */
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { api, errorText } from "../api.js";
import { EmailField, ErrorLine, Field, PasswordField } from "../ui/Fields.js";

/**
 * Sends a credentials form: busy while the request runs, the password cleared whatever the answer, the
 * refusal shown in words, and on success every query refetched as the signed-in account.
 */
function useCredentialsForm(send: () => Promise<unknown>, clearPassword: () => void) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await send();
      clearPassword();
      await queryClient.invalidateQueries();
    } catch (err) {
      clearPassword();
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return { submit, error, busy };
}

export function SetupScreen() {
  const [org, setOrg] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { submit, error, busy } = useCredentialsForm(
    async () => {
      await api.setup({ org, email, password });
      history.replaceState(null, "", `/orgs/${encodeURIComponent(org)}/secrets`);
    },
    () => setPassword(""),
  );
  return (
    <main className="auth" id="main">
      <h1>Set up Cloakroom</h1>
      <p>Nobody has used this server yet. Create the first organization and its owner account.</p>
      <form onSubmit={submit}>
        <Field
          label="Organization"
          value={org}
          onChange={(e) => setOrg(e.target.value)}
          required
          hint="A short identifier: lowercase letters, digits and dashes."
          autoComplete="organization"
        />
        <EmailField value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username" />
        <PasswordField
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
          hint="At least 12 characters."
        />
        <ErrorLine error={error} />
        <button type="submit" disabled={busy}>
          Set up
        </button>
      </form>
    </main>
  );
}

/** `note` explains why sign-in is asked (the invitation page uses it). */
export function SignInScreen(props: { note?: ReactNode } = {}) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { submit, error, busy } = useCredentialsForm(
    () => api.login({ email, password }),
    () => setPassword(""),
  );
  return (
    <main className="auth" id="main">
      <h1>Sign in to Cloakroom</h1>
      {props.note}
      <form onSubmit={submit}>
        <EmailField value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username" />
        <PasswordField
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
        />
        <ErrorLine error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

/** First-run setup and sign-in. Passwords live in the form's state only until the request is sent. */
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { api, errorText } from "../api.js";
import { ErrorLine, Field } from "../ui/Fields.js";

function useAfterSignIn() {
  const queryClient = useQueryClient();
  return async () => {
    await queryClient.invalidateQueries();
  };
}

export function SetupScreen() {
  const [org, setOrg] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const done = useAfterSignIn();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.setup({ org, email, password });
      setPassword("");
      history.replaceState(null, "", `/orgs/${encodeURIComponent(org)}/secrets`);
      await done();
    } catch (err) {
      setPassword("");
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
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
        <Field
          label="Email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
          autoComplete="username"
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
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
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const done = useAfterSignIn();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login({ email, password });
      setPassword("");
      await done();
    } catch (err) {
      setPassword("");
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="auth" id="main">
      <h1>Sign in to Cloakroom</h1>
      {props.note}
      <form onSubmit={submit}>
        <Field
          label="Email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
          autoComplete="username"
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
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

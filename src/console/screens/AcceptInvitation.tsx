/**
 * The page an invitation link opens: `/invite#token=crk_i_...`. The token is taken from the fragment (which
 * browsers never send to a server) and the fragment is removed from the address at once; from then on the
 * token lives in this module's memory only, never in storage, the URL or history, and is dropped once used.
 * A reload loses it: the person opens the link again.
 */
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { api, CloakroomApiError, errorText, type Me } from "../api.js";
import { navigate } from "../router.js";
import { ErrorLine, PasswordField } from "../ui/Fields.js";
import { SignInScreen } from "./SignIn.js";

let heldToken: string | null = null;

/** Moves a `#token=` fragment into memory and strips it from the address; returns the token held. */
export function takeInviteToken(): string | null {
  const hash = location.hash.startsWith("#") ? location.hash.slice(1) : location.hash;
  const token = new URLSearchParams(hash).get("token");
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (token) heldToken = token;
  return heldToken;
}

function forgetInviteToken(): void {
  heldToken = null;
}

/** Plain words for the refusals SPEC gives accept. */
function acceptError(err: unknown, signedIn: boolean): string {
  if (err instanceof CloakroomApiError) {
    if (err.status === 404)
      return "This invitation link no longer works: it was already used, revoked, or has expired. Ask the person who invited you for a new one.";
    if (err.status === 403)
      return "This invitation was sent to a different email address than the account you are signed in with. Sign out, then open the link again and use the invited address.";
    if (err.status === 401 && !signedIn)
      return "An account with this email address already exists. Choose “I already have an account” and sign in to accept.";
    if (err.status === 429) return "Too many attempts. Wait a minute and try again.";
  }
  return errorText(err);
}

export function AcceptInvitationScreen(props: { me: Me | undefined }) {
  const [token, setToken] = useState(takeInviteToken);
  const [mode, setMode] = useState<"new" | "signin">("new");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const queryClient = useQueryClient();
  const signedIn = props.me?.user != null;

  // Another invitation link opened in this tab while the page is shown changes only the fragment.
  useEffect(() => {
    const onHash = () => {
      if (!location.hash) return;
      setToken(takeInviteToken());
      setError(null);
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const accept = async (withPassword: boolean) => {
    if (!token) return;
    setError(null);
    if (withPassword && password !== confirm) {
      setError("The two passwords differ: type the same password twice.");
      return;
    }
    setBusy(true);
    try {
      const joined = await api.invitations.accept(withPassword ? { token, password } : { token });
      forgetInviteToken();
      setPassword("");
      setConfirm("");
      history.replaceState(null, "", `/orgs/${encodeURIComponent(joined.org.slug)}/secrets`);
      await queryClient.invalidateQueries();
      navigate(`/orgs/${encodeURIComponent(joined.org.slug)}/secrets`);
    } catch (err) {
      setPassword("");
      setConfirm("");
      setError(acceptError(err, signedIn));
      if (err instanceof CloakroomApiError && err.status === 404) {
        forgetInviteToken();
        setToken(null);
      }
    } finally {
      setBusy(false);
    }
  };

  if (!token) {
    return (
      <main className="auth" id="main">
        <h1>Accept an invitation</h1>
        <ErrorLine error={error} />
        <p>
          There is no invitation here. Open the link from your invitation again: for your safety the console
          forgets it when the page is reloaded or left.
        </p>
        <p>
          <a href="/">Go to the console</a>
        </p>
      </main>
    );
  }

  if (!signedIn && mode === "signin") {
    return (
      <SignInScreen
        note={
          <>
            <p>
              Sign in with the account the invitation was sent to; you then come back here to accept it. If
              the page is reloaded before you accept, open the invitation link again.
            </p>
            <p>
              <button type="button" className="linkish" onClick={() => setMode("new")}>
                Back to the invitation
              </button>
            </p>
          </>
        }
      />
    );
  }

  return (
    <main className="auth" id="main">
      <h1>Accept your invitation</h1>
      {signedIn ? (
        <>
          <p>
            You are signed in as <strong>{props.me?.user?.email}</strong>. Accepting adds this account to the
            organization that invited it.
          </p>
          <ErrorLine error={error} />
          <button type="button" disabled={busy} onClick={() => accept(false)}>
            Accept invitation
          </button>
        </>
      ) : (
        <>
          <p>Choose a password for your new account. The invitation decides your email address and role.</p>
          <form
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              void accept(true);
            }}
          >
            <PasswordField
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              minLength={12}
              autoComplete="new-password"
              hint="At least 12 characters."
            />
            <PasswordField
              label="Confirm password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              autoComplete="new-password"
            />
            <ErrorLine error={error} />
            <button type="submit" disabled={busy}>
              Create account and join
            </button>
          </form>
          <p>
            <button type="button" className="linkish" onClick={() => setMode("signin")}>
              I already have an account
            </button>
          </p>
          <p className="muted small">
            The invitation is kept in this page only: if you reload or leave it, open the link again.
          </p>
        </>
      )}
    </main>
  );
}

/** The console's frame: setup or sign-in when there is no session, else the navigation and the screen. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect } from "react";
import { api } from "./api.js";
import { match, navigate, useLocation } from "./router.js";
import { AcceptInvitationScreen } from "./screens/AcceptInvitation.js";
import { AuditScreen } from "./screens/Audit.js";
import { MembersScreen } from "./screens/Members.js";
import { ProjectScreen, ProjectsScreen } from "./screens/Projects.js";
import { SecretDetails } from "./screens/SecretDetails.js";
import { SecretsScreen } from "./screens/Secrets.js";
import { SettingsScreen } from "./screens/Settings.js";
import { SetupScreen, SignInScreen } from "./screens/SignIn.js";
import { TokensScreen } from "./screens/Tokens.js";
import { type Permissions, permissions, type Session, SessionContext } from "./session.js";
import { Link } from "./ui/Link.js";

export function App() {
  const loc = useLocation();
  const me = useQuery({ queryKey: ["me"], queryFn: () => api.me(), refetchOnWindowFocus: false });
  const setup = useQuery({ queryKey: ["setup"], queryFn: () => api.setupState(), enabled: me.isError });

  if (me.isPending) return <p className="loading">Loading…</p>;
  // The invitation page works signed in (accept with the session) and signed out (a new account).
  if (loc.path === "/invite") return <AcceptInvitationScreen me={me.isSuccess ? me.data : undefined} />;
  if (me.isError) {
    if (setup.isPending) return <p className="loading">Loading…</p>;
    return setup.data?.setUp === false ? <SetupScreen /> : <SignInScreen />;
  }
  const orgSlug = loc.path.split("/")[1] === "orgs" ? decodeURIComponent(loc.path.split("/")[2] ?? "") : "";
  const org = me.data.orgs.find((o) => o.slug === orgSlug);
  if (!org) {
    const first = me.data.orgs[0];
    return first ? (
      <Redirect to={`/orgs/${first.slug}/secrets`} />
    ) : (
      <p>You are not a member of any organization.</p>
    );
  }
  return <OrgShell me={me.data} org={org} path={loc.path} search={loc.search} />;
}

function Redirect(props: { to: string }) {
  useEffect(() => {
    history.replaceState(null, "", props.to);
    dispatchEvent(new PopStateEvent("popstate"));
  }, [props.to]);
  return null;
}

/** The main navigation; `shown` leaves out a screen the person may not use (the API decides all the same). */
const NAV: { label: string; path: string; shown?(can: Permissions): boolean }[] = [
  { label: "Secrets", path: "secrets" },
  { label: "Projects", path: "projects" },
  { label: "Audit log", path: "audit", shown: (can) => can.readAudit },
  { label: "Members", path: "members" },
  { label: "API tokens", path: "tokens", shown: (can) => can.manageTokens },
  { label: "Settings", path: "settings" },
];

function OrgShell(props: { me: Session["me"]; org: Session["org"]; path: string; search: URLSearchParams }) {
  const { org, path } = props;
  const queryClient = useQueryClient();
  const settings = useQuery({ queryKey: ["settings", org.slug], queryFn: () => api.settings.get(org.slug) });
  const session: Session = { me: props.me, org, settings: settings.data };
  const base = `/orgs/${encodeURIComponent(org.slug)}`;
  const section = path.split("/")[3] ?? "secrets";

  const signOut = async () => {
    await api.logout().catch(() => undefined);
    queryClient.clear();
    history.replaceState(null, "", "/");
    await queryClient.invalidateQueries();
    dispatchEvent(new PopStateEvent("popstate"));
  };

  const screen = route(path, org.slug, props.search);

  const can = permissions(session);

  return (
    <SessionContext.Provider value={session}>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Cloakroom</span>
        <label className="org-switch">
          <span>Organization</span>
          <select
            value={org.slug}
            onChange={(e) => navigate(`/orgs/${encodeURIComponent(e.target.value)}/${section}`)}
          >
            {props.me.orgs.map((o) => (
              <option key={o.slug} value={o.slug}>
                {o.name} ({o.role})
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">{props.me.user?.email}</span>
        <button type="button" className="ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div className="layout">
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => n.shown?.(can) ?? true).map((n) => (
              <li key={n.path}>
                <Link to={`${base}/${n.path}`} current={section === n.path}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {screen}
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function route(path: string, org: string, search: URLSearchParams): ReactNode {
  const orgScope = { org };
  let m = match("/orgs/:org/secrets", path);
  if (m) return <SecretsScreen scope={orgScope} />;
  m = match("/orgs/:org/secrets/:name", path);
  if (m) return <SecretDetails scope={orgScope} name={m.name!} />;
  if (match("/orgs/:org/projects", path)) return <ProjectsScreen />;
  m = match("/orgs/:org/projects/:project", path);
  if (m) return <ProjectScreen project={m.project!} tab={search.get("tab") ?? "secrets"} />;
  m = match("/orgs/:org/projects/:project/secrets/:name", path);
  if (m) return <SecretDetails scope={{ org, project: m.project! }} name={m.name!} />;
  if (match("/orgs/:org/audit", path)) return <AuditScreen />;
  if (match("/orgs/:org/members", path)) return <MembersScreen />;
  if (match("/orgs/:org/tokens", path)) return <TokensScreen />;
  if (match("/orgs/:org/settings", path)) return <SettingsScreen />;
  return <p>Nothing here.</p>;
}

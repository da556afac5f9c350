/**
 * Projects: the list, and per project its secrets, integrations, logic functions, flows, apps (catalog and
 * installations), message templates and run log.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, errorText } from "../api.js";
import { outcomeOptions, scopeBase, when } from "../format.js";
import { navigate } from "../router.js";
import { permissions, useSession } from "../session.js";
import { ErrorLine, Field, FilterSelect } from "../ui/Fields.js";
import { Link } from "../ui/Link.js";
import { AppsTab } from "./Apps.js";
import { FlowsTab } from "./Flows.js";
import { IntegrationsTab } from "./Integrations.js";
import { LogicTab } from "./Logic.js";
import { RunEntry } from "./RunEntry.js";
import { SecretsScreen } from "./Secrets.js";
import { TemplatesTab } from "./Templates.js";

export function ProjectsScreen() {
  const session = useSession();
  const can = permissions(session);
  const org = session.org.slug;
  const queryClient = useQueryClient();
  const projects = useQuery({ queryKey: ["projects", org], queryFn: () => api.projects.list(org) });
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const create = useMutation({
    mutationFn: () => api.projects.create(org, { slug, name: name || slug }),
    onSuccess: (p) => {
      void queryClient.invalidateQueries({ queryKey: ["projects", org] });
      navigate(`${scopeBase({ org, project: p.slug })}?tab=integrations`);
    },
  });
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <ul className="cards">
        {(projects.data ?? []).map((p) => (
          <li key={p.id}>
            <Link to={`${scopeBase({ org, project: p.slug })}?tab=integrations`}>{p.name}</Link>{" "}
            <span className="muted small">
              {p.slug}, created {when(p.createdAt)}
            </span>
          </li>
        ))}
      </ul>
      {projects.isSuccess && projects.data.length === 0 ? <p className="empty">No projects yet.</p> : null}
      {can.manageProjects ? (
        <form
          className="inline-form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <h2>New project</h2>
          <Field label="Project slug" value={slug} onChange={(e) => setSlug(e.target.value)} required />
          <Field label="Project name" value={name} onChange={(e) => setName(e.target.value)} />
          <ErrorLine error={create.error ? errorText(create.error) : null} />
          <button type="submit" disabled={create.isPending}>
            Create project
          </button>
        </form>
      ) : null}
    </section>
  );
}

const TABS = [
  { id: "secrets", label: "Secrets" },
  { id: "integrations", label: "Integrations" },
  { id: "logic", label: "Logic" },
  { id: "flows", label: "Flows" },
  { id: "apps", label: "Apps" },
  { id: "templates", label: "Templates" },
  { id: "runs", label: "Run log" },
] as const;

export function ProjectScreen(props: { project: string; tab: string }) {
  const session = useSession();
  const org = session.org.slug;
  const scope = { org, project: props.project };
  const project = useQuery({
    queryKey: ["projects", org, props.project],
    queryFn: async () => (await api.projects.list(org)).find((p) => p.slug === props.project) ?? null,
  });
  const base = scopeBase(scope);
  return (
    <section aria-labelledby="project-title">
      <p>
        <Link to={`/orgs/${encodeURIComponent(org)}/projects`}>← All projects</Link>
      </p>
      <h1 id="project-title">{project.data?.name ?? props.project}</h1>
      <nav aria-label="Project" className="tabs">
        {TABS.map((t) => (
          <Link
            key={t.id}
            to={`${base}?tab=${t.id}`}
            className={props.tab === t.id ? "tab current" : "tab"}
            current={props.tab === t.id}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      {props.tab === "secrets" ? <SecretsScreen scope={scope} /> : null}
      {props.tab === "integrations" ? <IntegrationsTab scope={scope} /> : null}
      {props.tab === "logic" ? <LogicTab scope={scope} /> : null}
      {props.tab === "flows" ? <FlowsTab scope={scope} /> : null}
      {props.tab === "apps" ? <AppsTab scope={scope} /> : null}
      {props.tab === "templates" ? <TemplatesTab scope={scope} /> : null}
      {props.tab === "runs" ? <RunLogTab scope={scope} /> : null}
    </section>
  );
}

function RunLogTab(props: { scope: { org: string; project: string } }) {
  const [consumer, setConsumer] = useState("");
  const [status, setStatus] = useState("");
  const integrations = useQuery({
    queryKey: ["integrations", props.scope],
    queryFn: () => api.integrations.list(props.scope),
  });
  const logic = useQuery({ queryKey: ["logic", props.scope], queryFn: () => api.logic.list(props.scope) });
  const flows = useQuery({ queryKey: ["flows", props.scope], queryFn: () => api.flows.list(props.scope) });
  const templates = useQuery({
    queryKey: ["templates", props.scope],
    queryFn: () => api.templates.list(props.scope),
  });
  const logs = useQuery({
    queryKey: ["logs", props.scope, consumer],
    queryFn: () => api.logs.list(props.scope, { limit: 100, ...(consumer ? { consumer } : {}) }),
  });
  // A consumer kind whose list fails (its server side missing) only leaves its names out of the filter.
  const consumers = [
    ...(integrations.data ?? []),
    ...(logic.data ?? []),
    ...(flows.data ?? []),
    ...(templates.data ?? []),
  ];
  const entries = (logs.data ?? []).filter((e) => !status || e.status === status);
  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">Run log</h2>
      <div className="filters">
        <FilterSelect
          label="Consumer"
          value={consumer}
          onChange={setConsumer}
          any="All consumers"
          options={consumers.map((c) => ({ value: c.id, label: c.name }))}
        />
        <FilterSelect
          label="Status"
          value={status}
          onChange={setStatus}
          any="Any status"
          options={outcomeOptions(["success", "failure"])}
        />
        <button type="button" className="secondary" onClick={() => logs.refetch()}>
          Refresh
        </button>
      </div>
      {entries.length === 0 && logs.isSuccess ? <p className="empty">No runs yet.</p> : null}
      {entries.map((e) => (
        <RunEntry key={e.id} entry={e} />
      ))}
    </section>
  );
}

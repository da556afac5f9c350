/**
 * One secret: every S5 field, its consumers, versions with roll back, its audit trail, and for masked
 * secrets a reveal that hides the value again after 30 seconds (the value is never put in the query cache).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, errorText, type Scope } from "../api.js";
import { scopeBase, TYPE_LABELS, when } from "../format.js";
import { permissions, useSession } from "../session.js";
import { ErrorLine } from "../ui/Fields.js";
import { Grid, RowButton } from "../ui/Grid.js";
import { Link } from "../ui/Link.js";
import { SecretStepDialog } from "./SecretDialogs.js";
import { EditSecretDrawer } from "./SecretForms.js";

export const REVEAL_MS = 30_000;

function RevealedValue(props: { scope: Scope; name: string; canReveal: boolean }) {
  const [value, setValue] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (value === null) return;
    const t = setTimeout(() => setValue(null), REVEAL_MS);
    return () => clearTimeout(t);
  }, [value]);
  // Leaving the page drops the value too.
  useEffect(() => () => setValue(null), []);
  const reveal = async () => {
    setError(null);
    try {
      const { value: v } = await api.secrets.reveal(props.scope, props.name);
      setValue(typeof v === "string" ? v : JSON.stringify(v, null, 2));
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div className="reveal">
      {value === null ? (
        <span className="dots" role="img" aria-label="Hidden value">
          ••••••••••••
        </span>
      ) : (
        <pre className="revealed" data-revealed="">
          {value}
        </pre>
      )}
      {props.canReveal ? (
        value === null ? (
          <button type="button" className="secondary" onClick={reveal} aria-label="Reveal value">
            👁 Reveal value
          </button>
        ) : (
          <button type="button" className="secondary" onClick={() => setValue(null)} aria-label="Hide value">
            Hide value
          </button>
        )
      ) : null}
      {value !== null ? <p className="hint">Hidden again automatically after 30 seconds.</p> : null}
      <ErrorLine error={error} />
    </div>
  );
}

export function SecretDetails(props: { scope: Scope; name: string }) {
  const { scope, name } = props;
  const session = useSession();
  const can = permissions(session);
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<"edit" | "archive" | "delete" | null>(null);
  const secret = useQuery({ queryKey: ["secret", scope, name], queryFn: () => api.secrets.get(scope, name) });
  const versions = useQuery({
    queryKey: ["secret", scope, name, "versions"],
    queryFn: () => api.secrets.versions(scope, name),
  });
  const audit = useQuery({
    queryKey: ["audit", session.org.slug, "secret", name],
    queryFn: () => api.audit.list(session.org.slug, { limit: 200 }),
    enabled: can.readAudit,
  });
  const rollback = useMutation({
    mutationFn: (version: number) => api.secrets.rollback(scope, name, { version }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["secret"] }),
  });
  const restore = useMutation({
    mutationFn: () => api.secrets.restore(scope, name),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["secret"] }),
  });

  if (secret.isPending) return <p className="loading">Loading…</p>;
  if (secret.isError)
    return (
      <p role="alert" className="error">
        {errorText(secret.error)}
      </p>
    );
  const s = secret.data;
  const project = scope.project;
  const trail = (audit.data ?? []).filter((e) => e.target?.type === "secret" && e.target.name === s.name);
  const usedBy = s.usedBy ?? [];
  const manage = can.manageSecrets && !(project !== undefined && s.scope === "org");

  return (
    <section aria-labelledby="secret-title">
      <p>
        <Link to={`${scopeBase(scope)}${project === undefined ? "/secrets" : "?tab=secrets"}`}>
          ← Back to secrets
        </Link>
      </p>
      <div className="screen-head">
        <h1 id="secret-title">{s.name}</h1>
        {manage ? (
          <div className="actions">
            {s.archived ? (
              <button type="button" onClick={() => restore.mutate()}>
                Restore
              </button>
            ) : (
              <>
                <button type="button" onClick={() => setOpen("edit")}>
                  Edit
                </button>
                <button type="button" className="secondary" onClick={() => setOpen("archive")}>
                  Archive
                </button>
              </>
            )}
            <button
              type="button"
              className="danger"
              disabled={usedBy.length > 0}
              aria-describedby={usedBy.length > 0 ? "delete-why" : undefined}
              onClick={() => setOpen("delete")}
            >
              Delete
            </button>
          </div>
        ) : null}
      </div>
      {manage && usedBy.length > 0 ? (
        <p id="delete-why" className="hint">
          Delete is unavailable while {usedBy.map((c) => c.name).join(", ")}{" "}
          {usedBy.length === 1 ? "uses" : "use"} this secret.
        </p>
      ) : null}
      <dl className="facts">
        <dt>Type</dt>
        <dd>{TYPE_LABELS[s.type]}</dd>
        <dt>Visibility</dt>
        <dd>{s.visibility === "masked" ? "Masked" : "Restricted"}</dd>
        <dt>Value</dt>
        <dd>
          <RevealedValue
            scope={scope}
            name={s.name}
            canReveal={s.visibility === "masked" && can.reveal && !s.archived}
          />
        </dd>
        <dt>Description</dt>
        <dd>{s.description || <span className="muted">None</span>}</dd>
        <dt>Scope</dt>
        <dd>
          {s.scope === "org" ? "Organization" : `Project ${project}`}
          {s.overrides ? " (overrides the organization's secret of the same name)" : ""}
        </dd>
        <dt>Status</dt>
        <dd>{s.archived ? "Archived" : "Active"}</dd>
        <dt>Version</dt>
        <dd>{s.version}</dd>
        <dt>Created</dt>
        <dd>{when(s.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>
          {when(s.updatedAt)} by {s.updatedBy}
        </dd>
        <dt>Last accessed</dt>
        <dd>
          {when(s.lastAccessedAt)}
          {s.lastAccessedBy ? ` by ${s.lastAccessedBy.name}` : ""}
        </dd>
        <dt>Usage</dt>
        <dd>{s.usageCount === 1 ? "1 consumer" : `${s.usageCount} consumers`}</dd>
      </dl>

      <h2>Used by</h2>
      {usedBy.length === 0 ? (
        <p className="muted">No consumer uses this secret.</p>
      ) : (
        <ul>
          {usedBy.map((c) => (
            <li key={c.id}>
              {c.kind === "integration" ? "Integration" : "Logic function"}{" "}
              {project !== undefined ? (
                <Link
                  to={`${scopeBase(scope)}?tab=${c.kind === "integration" ? "integrations" : "logic"}&id=${c.id}`}
                >
                  {c.name}
                </Link>
              ) : (
                <strong>{c.name}</strong>
              )}
            </li>
          ))}
        </ul>
      )}

      <h2>Versions</h2>
      <ErrorLine error={rollback.error ? errorText(rollback.error) : null} />
      <Grid
        columns={["Version", "Created", "By"]}
        rows={versions.data ?? []}
        rowKey={(v) => v.version}
        cells={(v) => [
          <>
            {v.version}
            {v.current ? <span className="badge">current</span> : null}
          </>,
          when(v.createdAt),
          v.createdBy,
        ]}
        actions={(v) =>
          manage && !v.current && !s.archived ? (
            <RowButton
              className="secondary"
              ariaLabel={`Roll back to version ${v.version}`}
              onClick={() => rollback.mutate(v.version)}
            >
              Roll back
            </RowButton>
          ) : null
        }
      />

      {can.readAudit ? (
        <>
          <h2>Audit trail</h2>
          {trail.length === 0 ? (
            <p className="muted">No recorded events in the latest entries.</p>
          ) : (
            <ul className="trail">
              {trail.map((e) => (
                <li key={e.id}>
                  {when(e.at)}: {e.action} by {e.actor.name ?? e.actor.type} ({e.outcome})
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}

      {open === "edit" ? <EditSecretDrawer scope={scope} secret={s} onClose={() => setOpen(null)} /> : null}
      {open === "archive" || open === "delete" ? (
        <SecretStepDialog scope={scope} name={s.name} step={open} onClose={() => setOpen(null)} />
      ) : null}
    </section>
  );
}

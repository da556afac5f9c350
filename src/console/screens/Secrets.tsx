/** The secrets list of an organization or a project: paged by the server, searched by the server. */
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { api, type Scope, type SecretMetadata } from "../api.js";
import { scopeBase, TYPE_LABELS, when } from "../format.js";
import { navigate } from "../router.js";
import { permissions, useSession } from "../session.js";
import { Check } from "../ui/Fields.js";
import { ActionsHeading } from "../ui/Grid.js";
import { Link } from "../ui/Link.js";
import { Menu } from "../ui/Menu.js";
import { SecretStepDialog } from "./SecretDialogs.js";
import { CreateSecretDrawer, EditSecretDrawer } from "./SecretForms.js";

type Open =
  | { kind: "create" }
  | { kind: "edit"; secret: SecretMetadata }
  | { kind: "archive"; name: string }
  | { kind: "delete"; name: string }
  | null;

type SortKey = "name" | "type" | "usageCount" | "updatedAt" | "lastAccessedAt";

export function SecretsScreen(props: { scope: Scope }) {
  const { scope } = props;
  const session = useSession();
  const can = permissions(session);
  const queryClient = useQueryClient();
  const alias = session.settings?.namingPolicy === "alias";
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const [archived, setArchived] = useState(false);
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: "name", dir: 1 });
  const [open, setOpen] = useState<Open>(() =>
    new URLSearchParams(location.search).get("create") === "1" && can.manageSecrets
      ? { kind: "create" }
      : null,
  );
  useEffect(() => {
    const t = setTimeout(() => setSearch(q), 200);
    return () => clearTimeout(t);
  }, [q]);

  const list = useInfiniteQuery({
    queryKey: ["secrets", scope, { archived, q: search }],
    queryFn: ({ pageParam }) =>
      api.secrets.page(scope, {
        archived,
        q: search,
        limit: 100,
        ...(pageParam ? { cursor: pageParam } : {}),
      }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const restore = useMutation({
    mutationFn: (name: string) => api.secrets.restore(scope, name),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["secrets"] }),
  });

  const rows = useMemo(() => {
    const all = list.data?.pages.flatMap((p) => p.secrets) ?? [];
    if (sort.key === "name" && sort.dir === 1) return all;
    const val = (s: SecretMetadata) => s[sort.key] ?? "";
    return [...all].sort((a, b) => (val(a) < val(b) ? -sort.dir : val(a) > val(b) ? sort.dir : 0));
  }, [list.data, sort]);

  const base = scopeBase(scope);
  const header = (key: SortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.dir === 1 ? "ascending" : "descending") : "none"}>
      <button
        type="button"
        className="sort"
        onClick={() => setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : 1 }))}
      >
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );

  const closeDrawer = () => {
    setOpen(null);
    if (location.search.includes("create=1")) history.replaceState(null, "", location.pathname);
  };

  return (
    <section aria-labelledby="secrets-title">
      <div className="screen-head">
        <h1 id="secrets-title">{scope.project === undefined ? "Secrets" : "Project secrets"}</h1>
        {can.manageSecrets ? (
          <button type="button" onClick={() => setOpen({ kind: "create" })}>
            Add secret
          </button>
        ) : null}
      </div>
      {scope.project !== undefined ? (
        <p className="hint">
          This project's consumers see its own secrets and the organization's; a project secret with the same
          name overrides the organization's.
        </p>
      ) : null}
      <div className="filters">
        <label className="field inline">
          <span>Search secrets</span>
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />
        </label>
        <Check label="Show archived" checked={archived} onChange={setArchived} />
      </div>
      {list.isError ? (
        <p role="alert" className="error">
          {String(list.error.message)}
        </p>
      ) : null}
      <table className="grid">
        <thead>
          <tr>
            {header("name", alias ? "Alias" : "Name")}
            {header("type", "Type")}
            {header("usageCount", "Usage")}
            {header("updatedAt", "Updated")}
            {header("lastAccessedAt", "Last accessed")}
            <ActionsHeading />
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => {
            const detailsPath = `${s.scope === "org" ? scopeBase({ org: scope.org }) : base}/secrets/${encodeURIComponent(s.name)}`;
            const ownScope = scope.project === undefined ? s.scope === "org" : s.scope === "project";
            return (
              <tr key={`${s.scope}:${s.name}`}>
                <td>
                  <Link to={detailsPath}>{s.name}</Link>
                  {s.scope === "org" && scope.project !== undefined ? (
                    <span className="badge">organization</span>
                  ) : null}
                  {s.overrides ? <span className="badge">overrides organization</span> : null}
                  {s.visibility === "masked" ? <span className="badge">masked</span> : null}
                </td>
                <td>{TYPE_LABELS[s.type]}</td>
                <td>{s.usageCount === 1 ? "1 consumer" : `${s.usageCount} consumers`}</td>
                <td>{when(s.updatedAt)}</td>
                <td>
                  {when(s.lastAccessedAt)}
                  {s.lastAccessedBy ? <span className="muted small"> by {s.lastAccessedBy.name}</span> : null}
                </td>
                <td>
                  <Menu
                    label={`Actions for ${s.name}`}
                    items={[
                      { label: "View details", onSelect: () => navigate(detailsPath) },
                      ...(can.manageSecrets && ownScope && !s.archived
                        ? [
                            { label: "Edit", onSelect: () => setOpen({ kind: "edit", secret: s }) },
                            { label: "Archive", onSelect: () => setOpen({ kind: "archive", name: s.name }) },
                          ]
                        : []),
                      ...(can.manageSecrets && ownScope && s.archived
                        ? [{ label: "Restore", onSelect: () => restore.mutate(s.name) }]
                        : []),
                      ...(can.manageSecrets && ownScope
                        ? [
                            {
                              label: "Delete",
                              onSelect: () => setOpen({ kind: "delete", name: s.name }),
                              disabled: s.usageCount > 0,
                              hint: s.usageCount > 0 ? "in use: see View details" : "",
                            },
                          ]
                        : []),
                    ]}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {list.isPending ? <p className="loading">Loading…</p> : null}
      {list.isSuccess && rows.length === 0 ? (
        <p className="empty">{search ? "No secret matches this search." : "No secrets here yet."}</p>
      ) : null}
      {list.hasNextPage ? (
        <button
          type="button"
          className="secondary"
          onClick={() => list.fetchNextPage()}
          disabled={list.isFetchingNextPage}
        >
          Load more
        </button>
      ) : null}
      {open?.kind === "create" ? <CreateSecretDrawer scope={scope} onClose={closeDrawer} /> : null}
      {open?.kind === "edit" ? (
        <EditSecretDrawer scope={scope} secret={open.secret} onClose={closeDrawer} />
      ) : null}
      {open?.kind === "archive" || open?.kind === "delete" ? (
        <SecretStepDialog scope={scope} name={open.name} step={open.kind} onClose={closeDrawer} />
      ) : null}
    </section>
  );
}

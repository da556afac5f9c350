/** API tokens: the list (never values), create with the token shown once and a copy button, revoke. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, errorText, type Role } from "../api.js";
import { when } from "../format.js";
import { useSession } from "../session.js";
import { ErrorLine, Field, Select } from "../ui/Fields.js";
import { Grid, RowButton } from "../ui/Grid.js";

export function TokensScreen() {
  const org = useSession().org.slug;
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: ["tokens", org], queryFn: () => api.tokens.list(org) });
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [shown, setShown] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const create = useMutation({
    mutationFn: () => api.tokens.create(org, { name, role }),
    onSuccess: (t) => {
      setShown(t.token);
      setCopied(false);
      setName("");
      void queryClient.invalidateQueries({ queryKey: ["tokens", org] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.tokens.delete(org, id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["tokens", org] }),
  });
  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">API tokens</h1>
      <form
        className="inline-form"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Field label="Token name" value={name} onChange={(e) => setName(e.target.value)} required />
        <Select
          label="Token role"
          value={role}
          onChange={(r) => setRole(r as Role)}
          options={["viewer", "editor", "admin"].map((r) => ({ value: r, label: r }))}
        />
        <ErrorLine error={create.error ? errorText(create.error) : null} />
        <button type="submit" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {shown ? (
        <section className="once" aria-label="New token">
          <p>
            <strong>Copy this token now.</strong> It is shown this once; the server keeps only a hash of it.
          </p>
          <code className="token">{shown}</code>
          <div className="actions">
            <button
              type="button"
              onClick={async () => {
                await navigator.clipboard.writeText(shown);
                setCopied(true);
              }}
            >
              {copied ? "Copied" : "Copy token"}
            </button>
            <button type="button" className="secondary" onClick={() => setShown(null)}>
              Done
            </button>
          </div>
        </section>
      ) : null}
      <Grid
        columns={["Name", "Role", "Created", "Last used"]}
        rows={tokens.data ?? []}
        rowKey={(t) => t.id}
        cells={(t) => [t.name, t.role, `${when(t.createdAt)} by ${t.createdBy}`, when(t.lastUsedAt)]}
        actions={(t) => (
          <RowButton ariaLabel={`Revoke ${t.name}`} onClick={() => revoke.mutate(t.id)}>
            Revoke
          </RowButton>
        )}
      />
    </section>
  );
}

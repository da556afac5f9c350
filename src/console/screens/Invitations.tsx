/**
 * Inviting members and the pending invitations. The invite link (or token) lives only in the dialog's own
 * state: it is shown once, and closing the dialog drops it; it never reaches storage, the URL or the query
 * cache (the request is sent directly, not through a cached mutation).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type CreatedInvitation, errorText, type Role } from "../api.js";
import { when } from "../format.js";
import { useSession } from "../session.js";
import { ConfirmDialog, FormActions } from "../ui/Dialogs.js";
import { EmailField, ErrorLine, Select } from "../ui/Fields.js";
import { Grid, RowButton } from "../ui/Grid.js";
import { Modal } from "../ui/Modal.js";

export function InviteDialog(props: { roles: Role[]; onClose(): void }) {
  const org = useSession().org.slug;
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setCreated(await api.members.invite(org, { email, role }));
      void queryClient.invalidateQueries({ queryKey: ["invitations", org] });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    setCreated(null);
    props.onClose();
  };

  if (created) {
    const shown = created.inviteUrl ?? created.inviteToken;
    const what = created.inviteUrl ? "link" : "token";
    return (
      <Modal key="created" title="Invitation created" kind="dialog" onClose={close}>
        <section className="once" aria-label={`Invitation ${what}`}>
          <p>
            <strong>Copy this {what} now.</strong> It is shown this once; the server keeps only a hash of it.
            {created.inviteUrl
              ? null
              : " This server has no public URL set, so there is no link: the invitee opens /invite#token= followed by this token."}
          </p>
          <code className="token" data-testid="invite-link">
            {shown}
          </code>
        </section>
        <p role="status">
          {created.mailed
            ? `The link was mailed to ${created.invitation.email}.`
            : `The link was not mailed: send it to ${created.invitation.email} yourself.`}{" "}
          It expires {when(created.invitation.expiresAt)}.
        </p>
        <div className="actions">
          <button
            type="button"
            data-autofocus=""
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(shown);
                setCopied("yes");
              } catch {
                setCopied("failed");
              }
            }}
          >
            {copied === "yes" ? "Copied" : created.inviteUrl ? "Copy link" : "Copy token"}
          </button>
          <button type="button" className="secondary" onClick={close}>
            Done
          </button>
        </div>
        {copied === "failed" ? (
          <p role="alert" className="error">
            Copying was refused by the browser: select the {what} and copy it by hand.
          </p>
        ) : null}
      </Modal>
    );
  }
  return (
    <Modal key="form" title="Invite member" kind="dialog" onClose={close}>
      <form onSubmit={submit}>
        <EmailField
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoComplete="off"
          data-autofocus=""
        />
        <Select
          label="Role"
          value={role}
          onChange={(r) => setRole(r as Role)}
          options={props.roles.map((r) => ({ value: r, label: r }))}
        />
        <p className="hint">
          The invitee gets a one-time link, valid for a limited time, and sets their own password.
        </p>
        <ErrorLine error={error} />
        <FormActions submitLabel="Send invitation" busy={busy} onCancel={close} />
      </form>
    </Modal>
  );
}

export function PendingInvitations() {
  const org = useSession().org.slug;
  const queryClient = useQueryClient();
  const invitations = useQuery({ queryKey: ["invitations", org], queryFn: () => api.invitations.list(org) });
  const [revoking, setRevoking] = useState<{ id: string; email: string } | null>(null);
  const revoke = useMutation({
    mutationFn: (id: string) => api.invitations.revoke(org, id),
    onSuccess: () => setRevoking(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["invitations", org] }),
  });
  const rows = invitations.data ?? [];
  return (
    <section aria-labelledby="invitations-title">
      <h2 id="invitations-title">Pending invitations</h2>
      <ErrorLine error={invitations.isError ? errorText(invitations.error) : null} />
      {invitations.isSuccess && rows.length === 0 ? <p className="muted">No pending invitations.</p> : null}
      {rows.length > 0 ? (
        <Grid
          label="Pending invitations"
          columns={["Email", "Role", "Expires"]}
          rows={rows}
          rowKey={(i) => i.id}
          cells={(i) => [i.email, i.role, when(i.expiresAt)]}
          actions={(i) => (
            <RowButton
              ariaLabel={`Revoke invitation for ${i.email}`}
              onClick={() => {
                revoke.reset();
                setRevoking({ id: i.id, email: i.email });
              }}
            >
              Revoke
            </RowButton>
          )}
        />
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the invitation for ${revoking.email}?`}
          confirmLabel="Revoke invitation"
          onConfirm={() => revoke.mutate(revoking.id)}
          onClose={() => setRevoking(null)}
          disabled={revoke.isPending}
          error={revoke.error}
        >
          <p>The link stops working at once. You can invite the same address again later.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

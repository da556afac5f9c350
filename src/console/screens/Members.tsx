/** Members and their roles, invitations. Only owners and admins see the controls; the API decides. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, errorText, type Role } from "../api.js";
import { when } from "../format.js";
import { permissions, useSession } from "../session.js";
import { ErrorLine } from "../ui/Fields.js";
import { Grid, RowButton } from "../ui/Grid.js";
import { InviteDialog, PendingInvitations } from "./Invitations.js";

const ROLES: Role[] = ["owner", "admin", "editor", "viewer"];

export function MembersScreen() {
  const session = useSession();
  const org = session.org.slug;
  const can = permissions(session);
  const queryClient = useQueryClient();
  const members = useQuery({ queryKey: ["members", org], queryFn: () => api.members.list(org) });
  const change = useMutation({
    mutationFn: (v: { userId: string; role: Role }) => api.members.update(org, v.userId, { role: v.role }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["members", org] }),
  });
  const remove = useMutation({
    mutationFn: (userId: string) => api.members.remove(org, userId),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["members", org] }),
  });
  const [inviting, setInviting] = useState(false);
  const mine = session.me.user?.id;
  const grantable = ROLES.filter((r) => r !== "owner" || session.org.role === "owner");
  return (
    <section aria-labelledby="members-title">
      <div className="screen-head">
        <h1 id="members-title">Members</h1>
        {can.manageMembers ? (
          <button type="button" onClick={() => setInviting(true)}>
            Invite member
          </button>
        ) : null}
      </div>
      <ErrorLine error={members.isError ? errorText(members.error) : null} />
      <ErrorLine
        error={change.error ? errorText(change.error) : remove.error ? errorText(remove.error) : null}
      />
      <Grid
        label="Members"
        columns={["Email", "Role", "Member since"]}
        rows={members.data ?? []}
        rowKey={(m) => m.userId}
        cells={(m) => [
          m.email,
          can.manageMembers && m.userId !== mine ? (
            <select
              key="role"
              aria-label={`Role of ${m.email}`}
              value={m.role}
              onChange={(e) => change.mutate({ userId: m.userId, role: e.target.value as Role })}
            >
              {grantable.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          ) : (
            m.role
          ),
          when(m.createdAt),
        ]}
        actions={(m) =>
          can.manageMembers && m.userId !== mine ? (
            <RowButton ariaLabel={`Remove ${m.email}`} onClick={() => remove.mutate(m.userId)}>
              Remove
            </RowButton>
          ) : null
        }
      />
      {can.manageMembers ? <PendingInvitations /> : null}
      {inviting ? <InviteDialog roles={grantable} onClose={() => setInviting(false)} /> : null}
    </section>
  );
}

/** Archive and delete confirmations: both name the consumers that use the secret. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Scope } from "../api.js";
import { ConfirmDialog } from "../ui/Dialogs.js";

function useDetails(scope: Scope, name: string) {
  return useQuery({ queryKey: ["secret", scope, name], queryFn: () => api.secrets.get(scope, name) });
}

function Consumers(props: { usedBy: { kind: string; name: string }[] }) {
  return (
    <ul className="consumers">
      {props.usedBy.map((c) => (
        <li key={`${c.kind}:${c.name}`}>
          {c.kind === "integration" ? "Integration" : "Logic function"} <strong>{c.name}</strong>
        </li>
      ))}
    </ul>
  );
}

export function ArchiveDialog(props: { scope: Scope; name: string; onClose(): void }) {
  const details = useDetails(props.scope, props.name);
  const queryClient = useQueryClient();
  const archive = useMutation({
    mutationFn: () => api.secrets.archive(props.scope, props.name),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["secrets"] });
      void queryClient.invalidateQueries({ queryKey: ["secret"] });
      props.onClose();
    },
  });
  const usedBy = details.data?.usedBy ?? [];
  return (
    <ConfirmDialog
      title={`Archive ${props.name}?`}
      confirmLabel="Archive secret"
      onConfirm={() => archive.mutate()}
      onClose={props.onClose}
      disabled={archive.isPending}
      error={archive.error}
    >
      {usedBy.length > 0 ? (
        <>
          <p>
            Runs that need this secret will fail while it is archived. These consumers use it and will stop
            working:
          </p>
          <Consumers usedBy={usedBy} />
        </>
      ) : (
        <p>No consumer uses this secret now. While archived, nothing can use it; you can restore it later.</p>
      )}
    </ConfirmDialog>
  );
}

export function DeleteDialog(props: { scope: Scope; name: string; onClose(): void }) {
  const details = useDetails(props.scope, props.name);
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api.secrets.delete(props.scope, props.name),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["secrets"] });
      props.onClose();
    },
  });
  const usedBy = details.data?.usedBy ?? [];
  return (
    <ConfirmDialog
      title={`Delete ${props.name}?`}
      confirmLabel="Delete secret"
      onConfirm={() => remove.mutate()}
      onClose={props.onClose}
      disabled={remove.isPending || usedBy.length > 0 || details.isPending}
      error={remove.error}
    >
      {usedBy.length > 0 ? (
        <>
          <p>This secret is in use and cannot be deleted. Remove it from these consumers first:</p>
          <Consumers usedBy={usedBy} />
        </>
      ) : (
        <p>The secret and all its versions will be destroyed. This cannot be undone.</p>
      )}
    </ConfirmDialog>
  );
}

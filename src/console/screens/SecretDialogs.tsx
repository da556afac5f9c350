/** Archive and delete confirmations: both name the consumers that use the secret. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Scope } from "../api.js";
import { ConfirmDialog } from "../ui/Dialogs.js";

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

/** What each step says when consumers use the secret (before their list) and when none does. */
const TEXT = {
  archive: {
    inUse:
      "Runs that need this secret will fail while it is archived. These consumers use it and will stop working:",
    unused: "No consumer uses this secret now. While archived, nothing can use it; you can restore it later.",
  },
  delete: {
    inUse: "This secret is in use and cannot be deleted. Remove it from these consumers first:",
    unused: "The secret and all its versions will be destroyed. This cannot be undone.",
  },
};

/**
 * "Archive NAME?" or "Delete NAME?", after loading who uses the secret. Archiving warns of them; deleting is
 * refused while anyone does (and until that is known).
 */
export function SecretStepDialog(props: {
  scope: Scope;
  name: string;
  step: "archive" | "delete";
  onClose(): void;
}) {
  const { scope, name, step } = props;
  const verb = step === "archive" ? "Archive" : "Delete";
  const details = useQuery({
    queryKey: ["secret", scope, name],
    queryFn: () => api.secrets.get(scope, name),
  });
  const queryClient = useQueryClient();
  const run = useMutation({
    mutationFn: async (): Promise<unknown> =>
      step === "archive" ? api.secrets.archive(scope, name) : api.secrets.delete(scope, name),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["secrets"] });
      // An archived secret is still shown, now as archived; a deleted one is gone.
      if (step === "archive") void queryClient.invalidateQueries({ queryKey: ["secret"] });
      props.onClose();
    },
  });
  const usedBy = details.data?.usedBy ?? [];
  const refused = step === "delete" && (usedBy.length > 0 || details.isPending);
  return (
    <ConfirmDialog
      title={`${verb} ${name}?`}
      confirmLabel={`${verb} secret`}
      onConfirm={() => run.mutate()}
      onClose={props.onClose}
      disabled={run.isPending || refused}
      error={run.error}
    >
      {usedBy.length > 0 ? (
        <>
          <p>{TEXT[step].inUse}</p>
          <Consumers usedBy={usedBy} />
        </>
      ) : (
        <p>{TEXT[step].unused}</p>
      )}
    </ConfirmDialog>
  );
}

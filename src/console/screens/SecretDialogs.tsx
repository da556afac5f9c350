/** Archive and delete confirmations: both name the consumers that use the secret. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorText, type Scope } from "../api.js";
import { ErrorLine } from "../ui/Fields.js";
import { Modal } from "../ui/Modal.js";

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
    <Modal title={`Archive ${props.name}?`} kind="dialog" role="alertdialog" onClose={props.onClose}>
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
      <ErrorLine error={archive.error ? errorText(archive.error) : null} />
      <div className="actions">
        <button
          type="button"
          className="danger"
          onClick={() => archive.mutate()}
          disabled={archive.isPending}
        >
          Archive secret
        </button>
        <button type="button" className="secondary" onClick={props.onClose} data-autofocus="">
          Cancel
        </button>
      </div>
    </Modal>
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
    <Modal title={`Delete ${props.name}?`} kind="dialog" role="alertdialog" onClose={props.onClose}>
      {usedBy.length > 0 ? (
        <>
          <p>This secret is in use and cannot be deleted. Remove it from these consumers first:</p>
          <Consumers usedBy={usedBy} />
        </>
      ) : (
        <p>The secret and all its versions will be destroyed. This cannot be undone.</p>
      )}
      <ErrorLine error={remove.error ? errorText(remove.error) : null} />
      <div className="actions">
        <button
          type="button"
          className="danger"
          onClick={() => remove.mutate()}
          disabled={remove.isPending || usedBy.length > 0 || details.isPending}
        >
          Delete secret
        </button>
        <button type="button" className="secondary" onClick={props.onClose} data-autofocus="">
          Cancel
        </button>
      </div>
    </Modal>
  );
}

/**
 * Save and the trial (Test, Run, Send test) of a consumer editor. The trial saves first, so that it runs
 * what the editor shows; a new consumer gets its id on its first save and every later save updates it.
 * A save refetches the tab's list and the secrets (their usage counts); a trial, the run log.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { RunLogEntry } from "../api.js";
import { type ConsumerKind, clientOf, type Input, type Item } from "../consumers.js";
import type { EditorProps } from "./ConsumerTab.js";

export function useConsumerEditor<K extends ConsumerKind>(
  kind: K,
  props: EditorProps<Item<K>>,
  /** The wire form of the draft as it is now. */
  input: () => Input<K>,
  /** The trial on the saved consumer; the kind's test when absent. */
  trial?: (id: string) => Promise<RunLogEntry>,
) {
  const { scope } = props;
  const client = clientOf(kind);
  const queryClient = useQueryClient();
  const [id, setId] = useState<string | null>(props.existing?.id ?? null);
  const [result, setResult] = useState<RunLogEntry | null>(null);
  const persist = async () => {
    const saved = id ? await client.update(scope, id, input()) : await client.create(scope, input());
    setId(saved.id);
    void queryClient.invalidateQueries({ queryKey: [kind, scope] });
    void queryClient.invalidateQueries({ queryKey: ["secrets"] });
    return saved;
  };
  const save = useMutation({ mutationFn: persist });
  const run = useMutation({
    mutationFn: async () => {
      const saved = await persist();
      return trial ? trial(saved.id) : client.test!(scope, saved.id, {});
    },
    onSuccess: (entry) => {
      setResult(entry);
      void queryClient.invalidateQueries({ queryKey: ["logs", scope] });
    },
  });
  return {
    save: () => save.mutate(),
    saving: save.isPending,
    trying: run.isPending,
    /** What EditorFooter shows: the first error, "Saved.", the trial and its result. */
    footer: {
      error: save.error ?? run.error,
      saved: save.isSuccess,
      onTrial: () => run.mutate(),
      result,
    },
  };
}

/**
 * The end of a consumer editor: the first failed request in words, Save and the editor's own trial (Test,
 * Run or Send test) for those who may edit, "Saved." once saved, and the trial's result.
 */
import { errorText } from "../api.js";
import type { useConsumerEditor } from "../ui/consumerEditor.js";
import { ErrorLine } from "../ui/Fields.js";
import { RunEntry } from "./RunEntry.js";

export function EditorFooter(props: {
  edit: ReturnType<typeof useConsumerEditor>;
  readOnly: boolean;
  /** The trial's button ("Test") and the heading of its result ("Test run"). */
  trial: [label: string, resultTitle: string];
  /** Save is kept off (the code does not parse). */
  saveBlocked?: boolean;
  /** The trial is kept off (no steps, or a sample event that does not parse). */
  trialBlocked?: boolean;
}) {
  const { edit } = props;
  const [trialLabel, resultTitle] = props.trial;
  const { error, result } = edit.footer;
  return (
    <>
      <ErrorLine error={error ? errorText(error) : null} />
      {!props.readOnly ? (
        <div className="actions">
          <button type="submit" disabled={edit.saving || props.saveBlocked === true}>
            Save
          </button>
          <button
            type="button"
            className="secondary"
            disabled={edit.trying || props.trialBlocked === true}
            onClick={edit.footer.onTrial}
          >
            {trialLabel}
          </button>
        </div>
      ) : null}
      {edit.footer.saved ? <p role="status">Saved.</p> : null}
      {result ? (
        <div aria-live="polite">
          <h3>{resultTitle}</h3>
          <RunEntry entry={result} />
        </div>
      ) : null}
    </>
  );
}

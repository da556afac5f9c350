/**
 * The end of the integration and logic editors: the first failed request in words, Save and the editor's own
 * trial (Test or Run) for those who may edit, "Saved." once saved, and the trial's result.
 */
import { errorText, type RunLogEntry } from "../api.js";
import { ErrorLine } from "../ui/Fields.js";
import { RunEntry } from "./RunEntry.js";

export function EditorFooter(props: {
  readOnly?: boolean;
  error: unknown;
  saveDisabled: boolean;
  saved: boolean;
  trialLabel: string;
  trialDisabled: boolean;
  onTrial(): void;
  resultTitle: string;
  result: RunLogEntry | null;
}) {
  return (
    <>
      <ErrorLine error={props.error ? errorText(props.error) : null} />
      {!props.readOnly ? (
        <div className="actions">
          <button type="submit" disabled={props.saveDisabled}>
            Save
          </button>
          <button type="button" className="secondary" disabled={props.trialDisabled} onClick={props.onTrial}>
            {props.trialLabel}
          </button>
        </div>
      ) : null}
      {props.saved ? <p role="status">Saved.</p> : null}
      {props.result ? (
        <div aria-live="polite">
          <h3>{props.resultTitle}</h3>
          <RunEntry entry={props.result} />
        </div>
      ) : null}
    </>
  );
}

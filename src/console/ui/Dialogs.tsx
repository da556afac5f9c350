/** The buttons that end a form or a confirmation, the same in every dialog and drawer. */
import type { ReactNode } from "react";
import { errorText } from "../api.js";
import { ErrorLine } from "./Fields.js";
import { Modal } from "./Modal.js";

/** A form's submit button (disabled while busy) followed by Cancel. */
export function FormActions(props: { submitLabel: string; busy: boolean; onCancel(): void }) {
  return (
    <div className="actions">
      <button type="submit" disabled={props.busy}>
        {props.submitLabel}
      </button>
      <button type="button" className="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  );
}

/**
 * Asks before a destructive step: an alert dialog whose danger button does it and whose Cancel, focused
 * first so that Enter never confirms by accident, closes it. A failed attempt shows its error above the buttons.
 */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  onConfirm(): void;
  onClose(): void;
  disabled: boolean;
  error: unknown;
  children: ReactNode;
}) {
  return (
    <Modal title={props.title} kind="dialog" role="alertdialog" onClose={props.onClose}>
      {props.children}
      <ErrorLine error={props.error ? errorText(props.error) : null} />
      <div className="actions">
        <button type="button" className="danger" onClick={props.onConfirm} disabled={props.disabled}>
          {props.confirmLabel}
        </button>
        <button type="button" className="secondary" onClick={props.onClose} data-autofocus="">
          Cancel
        </button>
      </div>
    </Modal>
  );
}

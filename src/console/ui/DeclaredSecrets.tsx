/**
 * The secrets a consumer declares, as chips: a name, dots where a value would be, and (where the editor
 * offers them) "Edit value" and "stop using"; and the picker with its hint above them.
 */
import type { ReactNode } from "react";
import type { ProjectScope } from "../api.js";
import { HiddenValue } from "./EditorForm.js";
import { SecretPicker } from "./SecretPicker.js";

export function DeclaredSecrets(props: {
  label: string;
  names: string[];
  onRemove?(name: string): void;
  /** Opens the secret's edit drawer; absent for those who may not manage secrets. */
  onEdit?(name: string): void;
}) {
  const { onRemove, onEdit } = props;
  if (props.names.length === 0) return null;
  return (
    <ul className="chosen" aria-label={props.label}>
      {props.names.map((n) => (
        <li key={n}>
          <span>{n}</span> <HiddenValue />
          {onEdit ? (
            <button
              type="button"
              className="ghost"
              aria-label={`Edit value of ${n}`}
              onClick={() => onEdit(n)}
            >
              Edit value
            </button>
          ) : null}
          {onRemove ? (
            <button
              type="button"
              className="ghost"
              aria-label={`Stop using ${n}`}
              onClick={() => onRemove(n)}
            >
              ×
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** The secret picker, a hint on what picking does, and the declared secrets below. */
export function SecretTools(props: {
  scope: ProjectScope;
  canCreate: boolean;
  onPick(name: string): void;
  hint: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="secret-tools">
      <SecretPicker scope={props.scope} onPick={props.onPick} canCreate={props.canCreate} />
      <p className="hint">{props.hint}</p>
      {props.children}
    </div>
  );
}

/** The form around the integration and logic editors: labelled for screen readers, Enter or Save saves. */
import type { FormEvent, ReactNode } from "react";

export function EditorForm(props: { label: string; onSave(): void; children: ReactNode }) {
  return (
    <form
      className="editor"
      aria-label={props.label}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        props.onSave();
      }}
    >
      {props.children}
    </form>
  );
}

/** Stands where a secret's value would be: the value itself is never shown in an editor. */
export function HiddenValue() {
  return (
    <span className="dots" role="img" aria-label="value hidden">
      ••••••
    </span>
  );
}

/** The secrets a consumer declares, as chips: a name, dots where a value would be, and "stop using". */
import { HiddenValue } from "./EditorForm.js";

export function DeclaredSecrets(props: { label: string; names: string[]; onRemove(name: string): void }) {
  if (props.names.length === 0) return null;
  return (
    <ul className="chosen" aria-label={props.label}>
      {props.names.map((n) => (
        <li key={n}>
          <span>{n}</span> <HiddenValue />
          <button
            type="button"
            className="ghost"
            aria-label={`Stop using ${n}`}
            onClick={() => props.onRemove(n)}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

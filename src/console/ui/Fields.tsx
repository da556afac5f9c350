/** Labelled form fields. Secret inputs are masked, with an eye toggle, and never autocompleted or saved. */
import {
  forwardRef,
  type InputHTMLAttributes,
  type ReactNode,
  type TextareaHTMLAttributes,
  useId,
  useState,
} from "react";

export function Field(props: { label: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const { label, hint, ...input } = props;
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A labelled multi-line text (a body, not prose: no spell check). */
export const TextArea = forwardRef<
  HTMLTextAreaElement,
  { label: string } & TextareaHTMLAttributes<HTMLTextAreaElement>
>(function TextArea(props, ref) {
  const { label, ...area } = props;
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea ref={ref} id={id} spellCheck={false} {...area} />
    </div>
  );
});

/** A checkbox whose label is the text beside it. */
export function Check(props: {
  label: ReactNode;
  checked: boolean;
  onChange(checked: boolean): void;
  disabled?: boolean;
}) {
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.checked)}
      />
      {props.label}
    </label>
  );
}

/** The required "Email" input of the sign-in, setup and invite forms. */
export function EmailField(props: InputHTMLAttributes<HTMLInputElement>) {
  return <Field label="Email" type="email" required {...props} />;
}

/** A required, masked account password input, labelled "Password" unless told otherwise. */
export function PasswordField(
  props: { label?: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>,
) {
  const { label = "Password", ...input } = props;
  return <Field label={label} type="password" required {...input} />;
}

export function SecretInput(props: {
  label: string;
  value: string;
  onChange(v: string): void;
  hint?: string;
}) {
  const id = useId();
  const [shown, setShown] = useState(false);
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <div className="with-button">
        <input
          id={id}
          type={shown ? "text" : "password"}
          autoComplete="new-password"
          spellCheck={false}
          data-secret-input=""
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          aria-describedby={props.hint ? `${id}-hint` : undefined}
        />
        <button
          type="button"
          className="ghost icon"
          aria-label={shown ? `Hide ${props.label}` : `Show ${props.label}`}
          aria-pressed={shown}
          onClick={() => setShown((s) => !s)}
        >
          {shown ? "🙈" : "👁"}
        </button>
      </div>
      {props.hint ? (
        <p id={`${id}-hint`} className="hint">
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}

export function Select(props: {
  label: string;
  value: string;
  onChange(v: string): void;
  options: { value: string; label: string }[];
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.value)}
      >
        <Options options={props.options} />
      </select>
    </div>
  );
}

function Options(props: { options: { value: string; label: string }[] }) {
  return props.options.map((o) => (
    <option key={o.value} value={o.value}>
      {o.label}
    </option>
  ));
}

export function ErrorLine(props: { error: unknown }) {
  if (!props.error) return null;
  const text = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}

/** A compact list filter: the label wraps its select, whose first option, `any`, filters nothing (""). */
export function FilterSelect(props: {
  label: string;
  value: string;
  onChange(v: string): void;
  any: string;
  options: { value: string; label: string }[];
}) {
  return (
    <label className="field inline">
      <span>{props.label}</span>
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <Options options={[{ value: "", label: props.any }, ...props.options]} />
      </select>
    </label>
  );
}

/**
 * A configurable string (SPEC X4 `Str`): a literal, used as is, or an expression, edited in CodeMirror with
 * completion of `secrets.` and `steps.`. The switch turns a literal into the template literal of the same
 * text, and a template literal without interpolation back into its text, so nothing typed is lost.
 */
import { forwardRef, lazy, Suspense, useId, useRef } from "react";
import type { Str } from "../api.js";
import type { CodeEditorHandle } from "./code.js";
import type { ExpressionScope } from "./expression.js";

const ExpressionMirror = lazy(() => import("./ExpressionMirror.js"));

export const isExpr = (s: Str | null): s is { expr: string } => typeof s === "object" && s !== null;

export function toExpression(literal: string): string {
  if (literal === "") return "";
  return `\`${literal.replace(/[\\`]/g, "\\$&").replace(/\$\{/g, "\\${")}\``;
}

export function toLiteral(expr: string): string {
  const m = /^`((?:[^`\\$]|\\.|\$(?!\{))*)`$/s.exec(expr.trim());
  return m ? m[1]!.replace(/\\(.)/gs, "$1") : expr;
}

/** Where the secret picker inserts: the expression field used last. */
export type ExpressionTarget = CodeEditorHandle;

export const StrField = forwardRef<
  HTMLInputElement,
  {
    label: string;
    value: Str;
    onChange(v: Str): void;
    scope: ExpressionScope;
    hint?: string;
    required?: boolean;
    onExpressionFocus?(target: ExpressionTarget): void;
  }
>(function StrField(props, ref) {
  const id = useId();
  const labelId = `${id}-label`;
  const hintId = props.hint ? `${id}-hint` : undefined;
  const editor = useRef<CodeEditorHandle>(null);
  const expr = isExpr(props.value);
  const toggle = () =>
    props.onChange(isExpr(props.value) ? toLiteral(props.value.expr) : { expr: toExpression(props.value) });
  return (
    <div className="field str">
      <div className="str-head">
        {expr ? (
          <span id={labelId} className="label">
            {props.label}
          </span>
        ) : (
          <label id={labelId} htmlFor={id}>
            {props.label}
          </label>
        )}
        <label className="check small">
          <input type="checkbox" checked={expr} onChange={toggle} />
          Expression<span className="sr-only"> for {props.label}</span>
        </label>
      </div>
      {expr ? (
        <Suspense fallback={<p className="loading">Loading editor…</p>}>
          <ExpressionMirror
            ref={editor}
            labelId={labelId}
            {...(hintId ? { describedBy: hintId } : {})}
            value={isExpr(props.value) ? props.value.expr : ""}
            onChange={(v) => props.onChange({ expr: v })}
            onFocus={() => {
              if (editor.current) props.onExpressionFocus?.(editor.current);
            }}
            scope={props.scope}
          />
        </Suspense>
      ) : (
        <input
          ref={ref}
          id={id}
          value={typeof props.value === "string" ? props.value : ""}
          required={props.required}
          spellCheck={false}
          aria-describedby={hintId}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
      {props.hint ? (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      ) : null}
    </div>
  );
});

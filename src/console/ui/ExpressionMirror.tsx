/**
 * CodeMirror for one X4 expression (loaded on demand): JavaScript highlighting and completion of `secrets.`
 * with the declared names and `steps.` with the ids of earlier steps. The editor is a labelled textbox.
 */
import { autocompletion, type CompletionContext } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import { EditorView, keymap } from "@codemirror/view";
import { forwardRef, useRef } from "react";
import type { CodeEditorHandle } from "./code.js";
import { completeExpression, type ExpressionScope } from "./expression.js";
import { useMirror } from "./mirror.js";

export interface ExpressionEditorProps {
  labelId: string;
  describedBy?: string;
  value: string;
  onChange(value: string): void;
  onFocus?(): void;
  scope: ExpressionScope;
}

const ExpressionMirror = forwardRef<CodeEditorHandle, ExpressionEditorProps>(
  function ExpressionMirror(props, handle) {
    const latest = useRef(props);
    latest.current = props;
    const host = useMirror(handle, () => {
      const source = (ctx: CompletionContext) => {
        const line = ctx.state.doc.lineAt(ctx.pos);
        const before = line.text.slice(0, ctx.pos - line.from);
        const found = completeExpression(before, latest.current.scope);
        if (!found || (found.options.length === 0 && !ctx.explicit)) return null;
        return { from: line.from + found.from, options: found.options, filter: false };
      };
      const attrs: Record<string, string> = { "aria-labelledby": props.labelId, spellcheck: "false" };
      if (props.describedBy) attrs["aria-describedby"] = props.describedBy;
      return {
        doc: latest.current.value,
        extensions: [
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          javascript(),
          autocompletion({ override: [source], icons: false }),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of(attrs),
          EditorView.domEventHandlers({
            focus: () => {
              latest.current.onFocus?.();
              return false;
            },
          }),
        ],
        onChange: (state) => latest.current.onChange(state.doc.toString()),
      };
    }, [props.labelId, props.describedBy]);

    return <div ref={host} className="code expression" />;
  },
);

export default ExpressionMirror;

/**
 * CodeMirror 6 for JSON and JavaScript (loaded on demand: the initial page does not carry it), with the first error's line and column shown under the editor.
 * JavaScript is checked with the editor's own parser: the CSP allows no eval, so `new Function` is out.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import { json } from "@codemirror/lang-json";
import { bracketMatching, syntaxTree } from "@codemirror/language";
import type { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { forwardRef, useId, useRef, useState } from "react";
import { type CodeEditorHandle, type CodeEditorProps, type CodeProblem, jsonProblem } from "./code.js";
import { useMirror } from "./mirror.js";

function jsProblem(state: EditorState): CodeProblem | null {
  let found: number | null = null;
  syntaxTree(state).iterate({
    enter(node) {
      if (found === null && node.type.isError) found = node.from;
      return found === null;
    },
  });
  if (found === null) return null;
  const line = state.doc.lineAt(found);
  return { line: line.number, column: found - line.from + 1, message: "syntax error" };
}

const CodeMirrorEditor = forwardRef<CodeEditorHandle, CodeEditorProps>(
  function CodeMirrorEditor(props, handle) {
    const latest = useRef(props);
    latest.current = props;
    const [problem, setProblem] = useState<CodeProblem | null>(null);
    const labelId = useId();
    const check = (state: EditorState) => {
      const text = state.doc.toString();
      const p = latest.current.language === "json" ? jsonProblem(text) : jsProblem(state);
      setProblem(p);
      latest.current.onProblem?.(p);
    };
    const host = useMirror(
      handle,
      () => ({
        doc: latest.current.value,
        extensions: [
          lineNumbers(),
          history(),
          bracketMatching(),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          latest.current.language === "json" ? json() : javascript(),
          EditorView.contentAttributes.of({
            "aria-labelledby": labelId,
            "aria-multiline": "true",
            spellcheck: "false",
          }),
        ],
        onChange: (state) => {
          latest.current.onChange(state.doc.toString());
          check(state);
        },
        onCreate: check,
      }),
      [labelId],
    );

    return (
      <div className="field">
        <span id={labelId} className="label">
          {props.label}
        </span>
        <div ref={host} className="code" style={{ minHeight: `${(props.minLines ?? 6) * 1.4}em` }} />
        <p className={problem ? "error small" : "hint"} role="status">
          {problem ? `Line ${problem.line}, column ${problem.column}: ${problem.message}` : "Looks valid."}
        </p>
      </div>
    );
  },
);

export default CodeMirrorEditor;

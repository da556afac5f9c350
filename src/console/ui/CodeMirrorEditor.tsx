/**
 * CodeMirror 6 for JSON and JavaScript (loaded on demand: the initial page does not carry it), with the first error's line and column shown under the editor.
 * JavaScript is checked with the editor's own parser: the CSP allows no eval, so `new Function` is out.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import { json } from "@codemirror/lang-json";
import { bracketMatching, syntaxTree } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { forwardRef, useEffect, useId, useImperativeHandle, useRef, useState } from "react";
import { type CodeEditorHandle, type CodeEditorProps, type CodeProblem, jsonProblem } from "./code.js";

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
    const host = useRef<HTMLDivElement>(null);
    const view = useRef<EditorView | null>(null);
    const latest = useRef(props);
    latest.current = props;
    const [problem, setProblem] = useState<CodeProblem | null>(null);
    const labelId = useId();

    useImperativeHandle(handle, () => ({
      insert(text: string) {
        const v = view.current;
        if (!v) return;
        const { from, to } = v.state.selection.main;
        v.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length } });
        v.focus();
      },
    }));

    useEffect(() => {
      const check = (state: EditorState) => {
        const text = state.doc.toString();
        const p = latest.current.language === "json" ? jsonProblem(text) : jsProblem(state);
        setProblem(p);
        latest.current.onProblem?.(p);
      };
      const state = EditorState.create({
        doc: latest.current.value,
        extensions: [
          // The CSP lets a style element in only with the page's nonce (see src/http/console.ts).
          EditorView.cspNonce.of(
            document.querySelector<HTMLMetaElement>('meta[name="style-nonce"]')?.content ?? "",
          ),
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
          EditorView.updateListener.of((u) => {
            if (!u.docChanged) return;
            latest.current.onChange(u.state.doc.toString());
            check(u.state);
          }),
        ],
      });
      const v = new EditorView({ state, parent: host.current! });
      view.current = v;
      check(state);
      return () => {
        v.destroy();
        view.current = null;
      };
    }, [labelId]);

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

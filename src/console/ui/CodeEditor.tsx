/** The code editor, split off the initial bundle: CodeMirror loads the first time an editor is shown. */
import { forwardRef, lazy, Suspense } from "react";
import type { CodeEditorHandle, CodeEditorProps } from "./code.js";

export type { CodeEditorHandle, CodeProblem } from "./code.js";
export { jsonProblem } from "./code.js";

const Impl = lazy(() => import("./CodeMirrorEditor.js"));

export const CodeEditor = forwardRef<CodeEditorHandle, CodeEditorProps>(function CodeEditor(props, ref) {
  return (
    <Suspense fallback={<p className="loading">Loading editor…</p>}>
      <Impl ref={ref} {...props} />
    </Suspense>
  );
});

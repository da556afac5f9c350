/**
 * What both CodeMirror editors do (loaded on demand with them): mount a view in a host element with the
 * page's style nonce, report each change of the document, destroy the view when the element goes, and offer
 * `insert` (the secret picker's: at the cursor, replacing a selection, the cursor after it).
 */
import { EditorState, type Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { type DependencyList, type ForwardedRef, useEffect, useImperativeHandle, useRef } from "react";
import type { CodeEditorHandle } from "./code.js";

export interface MirrorSetup {
  doc: string;
  extensions: Extension[];
  /** After each change of the document. */
  onChange(state: EditorState): void;
  /** Once, with the first state. */
  onCreate?(state: EditorState): void;
}

/** Returns the ref of the host element; `setup` runs again (a new view) when `deps` change. */
export function useMirror(
  handle: ForwardedRef<CodeEditorHandle>,
  setup: () => MirrorSetup,
  deps: DependencyList,
) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);

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
    const s = setup();
    const state = EditorState.create({
      doc: s.doc,
      extensions: [
        // The CSP lets a style element in only with the page's nonce (see src/http/console.ts).
        EditorView.cspNonce.of(
          document.querySelector<HTMLMetaElement>('meta[name="style-nonce"]')?.content ?? "",
        ),
        ...s.extensions,
        EditorView.updateListener.of((u) => {
          if (u.docChanged) s.onChange(u.state);
        }),
      ],
    });
    const v = new EditorView({ state, parent: host.current! });
    view.current = v;
    s.onCreate?.(state);
    return () => {
      v.destroy();
      view.current = null;
    };
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what makes a new view
  }, deps);

  return host;
}

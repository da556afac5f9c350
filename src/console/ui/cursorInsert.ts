/**
 * Inserting at the cursor of the text field used last (the secret picker of the integration editor, the
 * Macro Manager of the template editor): the text goes in at the cursor, replacing a selection, and the
 * cursor goes after it.
 */
import { useRef } from "react";

type TextField = HTMLInputElement | HTMLTextAreaElement;
/** A field and how to change its value (the draft's state, not the element). */
export type InsertTarget = { el: TextField; set(v: string): void };
/** Given how to change a field's value, the field's onFocus that makes it the insert target. */
export type Focus = (set: (v: string) => void) => (e: { currentTarget: TextField }) => void;

export function insertAt(t: InsertTarget, text: string): void {
  const start = t.el.selectionStart ?? t.el.value.length;
  const end = t.el.selectionEnd ?? start;
  t.set(t.el.value.slice(0, start) + text + t.el.value.slice(end));
  requestAnimationFrame(() => {
    t.el.focus();
    t.el.setSelectionRange(start + text.length, start + text.length);
  });
}

/** `fallback` places the text while no field has been focused yet. */
export function useCursorInsert(fallback: (text: string) => void) {
  const target = useRef<InsertTarget | null>(null);
  const focus: Focus = (set) => (e) => {
    target.current = { el: e.currentTarget, set };
  };
  const insert = (text: string) => {
    if (target.current) insertAt(target.current, text);
    else fallback(text);
  };
  return { focus, insert };
}

/**
 * The Macro Manager (X5): the macros a template may use, by category, Secrets first; a button inserts the
 * macro's text at the cursor of the field used last. It lists names only: a secret macro has no value.
 */
import { useQuery } from "@tanstack/react-query";
import { Fragment } from "react";
import { api, type Macro, type ProjectScope } from "../api.js";

export function MacroManager(props: { scope: ProjectScope; onInsert(m: Macro): void }) {
  const macros = useQuery({
    queryKey: ["macros", props.scope],
    queryFn: () => api.templates.macros(props.scope),
    staleTime: 0,
  });
  const categories = [...new Set((macros.data ?? []).map((m) => m.category))].sort((a, b) =>
    a === "Secrets" ? -1 : b === "Secrets" ? 1 : 0,
  );
  return (
    <aside className="macros" aria-labelledby="macro-manager-title">
      <h3 id="macro-manager-title">Macro Manager</h3>
      <p className="hint">Inserts the macro at the cursor of the field you last used.</p>
      {macros.isError ? <p className="error">The macros could not be loaded.</p> : null}
      {categories.map((c) => (
        <section key={c} aria-labelledby={`macros-${c.replace(/\W/g, "-")}`}>
          <h4 id={`macros-${c.replace(/\W/g, "-")}`}>{c}</h4>
          <ul className="macro-list">
            {(macros.data ?? [])
              .filter((m) => m.category === c)
              .map((m) => (
                <li key={m.insert}>
                  <button
                    type="button"
                    className="ghost macro"
                    aria-label={`Insert ${m.insert}`}
                    // Keeps the focus (and so the cursor) in the field being edited.
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => props.onInsert(m)}
                  >
                    <code>
                      <Breakable text={m.insert} />
                    </code>
                  </button>
                </li>
              ))}
          </ul>
        </section>
      ))}
      {macros.isSuccess && macros.data.length === 0 ? <p className="empty">No macros available.</p> : null}
    </aside>
  );
}

/**
 * The macro's text with a line break allowed after each dot: a long macro wraps between its names
 * (`{{secrets.smtp_login.` / `username}}`), not inside one. Only a name longer than the line is broken.
 */
function Breakable(props: { text: string }) {
  return props.text.split(/(?<=\.)/).map((part, i) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: the parts of a fixed text, in order
    <Fragment key={i}>
      {i > 0 ? <wbr /> : null}
      {part}
    </Fragment>
  ));
}

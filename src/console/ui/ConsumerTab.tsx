/**
 * A consumer tab (integrations, logic functions, flows, templates): the heading with its "New …" button for
 * those who may build consumers, one card per consumer that opens it in the kind's editor, and the empty and
 * failed-load states. `?new=1` in the address opens the editor on a new consumer at once.
 */
import { useQuery } from "@tanstack/react-query";
import { type ComponentType, type ReactNode, useState } from "react";
import type { ProjectScope } from "../api.js";
import { CONSUMERS, type ConsumerKind, clientOf, type Item } from "../consumers.js";
import { permissions, useSession } from "../session.js";

export interface EditorProps<T> {
  scope: ProjectScope;
  /** The consumer opened, or null for a new one. */
  existing: T | null;
  readOnly: boolean;
}

export function ConsumerTab<K extends ConsumerKind>(props: {
  scope: ProjectScope;
  kind: K;
  /** A short description after the name; none when absent. */
  detail?: (item: Item<K>) => ReactNode;
  editor: ComponentType<EditorProps<Item<K>>>;
}) {
  const { scope, kind, detail, editor: Editor } = props;
  const { title, noun } = CONSUMERS[kind];
  const can = permissions(useSession());
  const list = useQuery({ queryKey: [kind, scope], queryFn: () => clientOf(kind).list(scope) });
  const [editing, setEditing] = useState<Item<K> | "new" | null>(() =>
    new URLSearchParams(location.search).get("new") === "1" ? "new" : null,
  );
  const titleId = `${kind}-title`;
  const items = list.data;
  return (
    <section aria-labelledby={titleId}>
      <div className="screen-head">
        <h2 id={titleId}>{title}</h2>
        {can.buildConsumers ? (
          <button type="button" onClick={() => setEditing("new")}>
            New {noun}
          </button>
        ) : null}
      </div>
      <ul className="cards">
        {(items ?? []).map((item) => (
          <li key={item.id}>
            <button type="button" className="linkish" onClick={() => setEditing(item)}>
              {item.name}
            </button>
            {detail ? (
              <>
                {" "}
                <span className="muted small">{detail(item)}</span>
              </>
            ) : null}
          </li>
        ))}
      </ul>
      {items !== undefined && items.length === 0 ? <p className="empty">No {noun}s yet.</p> : null}
      {list.isError ? <p className="error">The {noun}s could not be loaded.</p> : null}
      {editing ? (
        <Editor
          // A new key per consumer: opening another one starts its editor afresh.
          key={editing === "new" ? "new" : editing.id}
          scope={scope}
          existing={editing === "new" ? null : editing}
          readOnly={!can.buildConsumers}
        />
      ) : null}
    </section>
  );
}

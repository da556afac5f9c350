/**
 * The list half of a consumer tab (integrations, logic functions, flows, templates): the heading with its
 * "New …" button for those who may build consumers, one card per consumer that opens it, and the empty
 * and (where the tab reports it) failed-load states. The editor below it stays each tab's own.
 */
import type { ReactNode } from "react";

export function ConsumerCards<T extends { id: string; name: string }>(props: {
  /** The tab's heading, also the section's accessible name ("Flows"). */
  title: string;
  /** The id the section's `aria-labelledby` points at. */
  titleId: string;
  newLabel: string;
  canCreate: boolean;
  items: T[] | undefined;
  /** A short description after the name; none when absent. */
  detail?: (item: T) => ReactNode;
  empty: string;
  /** Said when the list could not be loaded; the tab shows nothing then when absent. */
  loadError?: string | undefined;
  failed: boolean;
  onNew(): void;
  onOpen(item: T): void;
}) {
  const { items, detail } = props;
  return (
    <>
      <div className="screen-head">
        <h2 id={props.titleId}>{props.title}</h2>
        {props.canCreate ? (
          <button type="button" onClick={props.onNew}>
            {props.newLabel}
          </button>
        ) : null}
      </div>
      <ul className="cards">
        {(items ?? []).map((item) => (
          <li key={item.id}>
            <button type="button" className="linkish" onClick={() => props.onOpen(item)}>
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
      {items !== undefined && items.length === 0 ? <p className="empty">{props.empty}</p> : null}
      {props.failed && props.loadError ? <p className="error">{props.loadError}</p> : null}
    </>
  );
}

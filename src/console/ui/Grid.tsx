/** Pieces of a `table.grid`: column headings (a row-actions column is named for screen readers only) and row buttons. */
import type { ReactNode } from "react";

export function ActionsHeading() {
  return (
    <th scope="col">
      <span className="sr-only">Actions</span>
    </th>
  );
}

export function GridHead(props: { columns: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {props.columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
        {props.actions ? <ActionsHeading /> : null}
      </tr>
    </thead>
  );
}

/** A button in a grid row: its visible text is short, its accessible name says which row it acts on. */
export function RowButton(props: {
  ariaLabel: string;
  onClick(): void;
  children: ReactNode;
  className?: "ghost" | "secondary";
}) {
  return (
    <button
      type="button"
      className={props.className ?? "ghost"}
      aria-label={props.ariaLabel}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}

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

/**
 * A `table.grid`: its headings, then a row per item with one cell per column and, when `actions` is given, a
 * last cell of row buttons under a heading named for screen readers only.
 */
export function Grid<T>(props: {
  columns: string[];
  rows: T[];
  rowKey(row: T): string | number;
  cells(row: T): ReactNode[];
  actions?: (row: T) => ReactNode;
  label?: string;
  labelledBy?: string;
}) {
  const { actions } = props;
  return (
    <table className="grid" aria-label={props.label} aria-labelledby={props.labelledBy}>
      <GridHead columns={props.columns} actions={actions !== undefined} />
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)}>
            {props.cells(row).map((cell, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a cell's place is its column
              <td key={i}>{cell}</td>
            ))}
            {actions ? <td>{actions(row)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

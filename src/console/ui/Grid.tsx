/** Column headings of a `table.grid`. A row-actions column is named for screen readers only. */
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

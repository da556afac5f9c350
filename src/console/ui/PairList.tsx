/**
 * Editable name-value rows (headers, query parameters) with Remove on each and an Add button. Labels count
 * from 1: with the prefix "Step 1 header", the fields are "Step 1 header name 2" and "… value 2", and the
 * button "Remove step 1 header 2".
 */
import type { ReactNode } from "react";
import { Field } from "./Fields.js";
import { nextKey, type Pair } from "./pairs.js";

export function PairList<V>(props: {
  pairs: Pair<V>[];
  /** Applies a change to the pairs as they are when it runs (a late insert sees what was typed since). */
  update(change: (pairs: Pair<V>[]) => Pair<V>[]): void;
  prefix: string;
  addLabel: string;
  /** The value of a new row. */
  blank: V;
  /** The value's field, labelled `label`. */
  value(label: string, value: V, set: (v: V) => void): ReactNode;
  /** Wraps the rows in a fieldset with this legend. */
  legend?: string;
}) {
  const { update, prefix } = props;
  const patch = (i: number, q: Partial<Pair<V>>) =>
    update((ps) => ps.map((x, j) => (j === i ? { ...x, ...q } : x)));
  const rows = (
    <>
      {props.pairs.map((p, i) => (
        <div className="pair" key={p.key}>
          <Field
            label={`${prefix} name ${i + 1}`}
            value={p.name}
            onChange={(e) => patch(i, { name: e.target.value })}
          />
          {props.value(`${prefix} value ${i + 1}`, p.value, (value) => patch(i, { value }))}
          <button
            type="button"
            className="ghost"
            aria-label={`Remove ${prefix.toLowerCase()} ${i + 1}`}
            onClick={() => update((ps) => ps.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="secondary"
        onClick={() => update((ps) => [...ps, { key: nextKey(), name: "", value: props.blank }])}
      >
        {props.addLabel}
      </button>
    </>
  );
  return props.legend ? (
    <fieldset>
      <legend>{props.legend}</legend>
      {rows}
    </fieldset>
  ) : (
    rows
  );
}

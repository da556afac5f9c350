/**
 * The searchable secret picker (WAI-ARIA combobox): lists the secrets in scope from the server's search,
 * offers "Create a new secret" in a new tab, and refetches when the window regains focus, so a secret made
 * in that tab is listed on return without a reload. It lists names only: never a value. With `parts`, a
 * username-and-password secret is offered as its two parts (`NAME.username`, `NAME.password`, S2) instead
 * of whole, and `onPick` gets the part.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { api, type ProjectScope } from "../api.js";
import { scopeBase } from "../format.js";

/** An option of the list: a secret, or one part of a typed one. */
interface Choice {
  name: string;
  part?: "username" | "password";
}

const choiceLabel = (c: Choice) => (c.part ? `${c.name}.${c.part}` : c.name);

export function SecretPicker(props: {
  scope: ProjectScope;
  onPick(name: string, part?: Choice["part"]): void;
  /** Offer a username-and-password secret as its parts (for a field that takes one part of it). */
  parts?: boolean;
  canCreate: boolean;
  /** "Secret" unless told otherwise: a form with several pickers names each for its field. */
  label?: string;
}) {
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const id = useId();
  useEffect(() => {
    const t = setTimeout(() => setSearch(q), 150);
    return () => clearTimeout(t);
  }, [q]);
  const found = useQuery({
    queryKey: ["secrets", props.scope, { picker: true, q: search }],
    queryFn: () => api.secrets.page(props.scope, { q: search, limit: 50 }),
    staleTime: 0,
  });
  const names: Choice[] = (found.data?.secrets ?? []).flatMap((s) =>
    props.parts && s.type === "username_password"
      ? [
          { name: s.name, part: "username" as const },
          { name: s.name, part: "password" as const },
        ]
      : [{ name: s.name }],
  );
  const createHref = `${scopeBase(props.scope)}?tab=secrets&create=1`;
  const count = names.length + (props.canCreate ? 1 : 0);
  const choose = (i: number) => {
    if (i < names.length) {
      props.onPick(names[i]!.name, names[i]!.part);
      setQ("");
      setOpen(false);
    } else if (props.canCreate) {
      window.open(createHref, "_blank", "noopener,noreferrer");
      setOpen(false);
    }
  };
  return (
    <div className="picker">
      <label htmlFor={id}>{props.label ?? "Secret"}</label>
      <input
        id={id}
        role="combobox"
        aria-expanded={open}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-activedescendant={open && count > 0 ? `${id}-opt-${active}` : undefined}
        autoComplete="off"
        spellCheck={false}
        value={q}
        placeholder="Search secrets"
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            setOpen(true);
            setActive((a) => Math.min(a + 1, count - 1));
          } else if (e.key === "ArrowUp") setActive((a) => Math.max(a - 1, 0));
          else if (e.key === "Enter" && open) choose(active);
          else if (e.key === "Escape") setOpen(false);
          else return;
          e.preventDefault();
        }}
      />
      {open ? (
        <div id={`${id}-list`} role="listbox" aria-label="Secrets" className="listbox">
          {names.map((n, i) => (
            <div
              key={choiceLabel(n)}
              id={`${id}-opt-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(i);
              }}
            >
              {choiceLabel(n)}
            </div>
          ))}
          {names.length === 0 && !found.isPending ? (
            <li className="muted" role="presentation">
              No matching secret
            </li>
          ) : null}
          {props.canCreate ? (
            <div
              id={`${id}-opt-${names.length}`}
              role="option"
              tabIndex={-1}
              aria-selected={active === names.length}
              className="create"
              onMouseDown={(e) => {
                e.preventDefault();
                choose(names.length);
              }}
            >
              Create a new secret (opens a new tab)
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

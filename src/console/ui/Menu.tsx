/** A menu button (WAI-ARIA menu pattern): arrows move, Enter picks, Escape closes and returns focus. */
import { useEffect, useId, useRef, useState } from "react";

export interface MenuItem {
  label: string;
  onSelect(): void;
  disabled?: boolean;
  hint?: string;
}

export function Menu(props: { label: string; items: MenuItem[] }) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const id = useId();
  useEffect(() => {
    if (!open) return;
    list.current?.querySelectorAll<HTMLElement>("[role=menuitem]")[active]?.focus();
  }, [open, active]);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!list.current?.contains(e.target as Node) && e.target !== button.current) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const pick = (item: MenuItem) => {
    if (item.disabled) return;
    setOpen(false);
    item.onSelect();
  };
  return (
    <div className="menu">
      <button
        ref={button}
        type="button"
        className="ghost icon"
        aria-label={props.label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => {
          setActive(0);
          setOpen((o) => !o);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive(0);
            setOpen(true);
          }
        }}
      >
        ⋯
      </button>
      {open && (
        <div
          ref={list}
          id={id}
          role="menu"
          aria-label={props.label}
          className="menu-list"
          onKeyDown={(e) => {
            const n = props.items.length;
            if (e.key === "ArrowDown") setActive((a) => (a + 1) % n);
            else if (e.key === "ArrowUp") setActive((a) => (a - 1 + n) % n);
            else if (e.key === "Home") setActive(0);
            else if (e.key === "End") setActive(n - 1);
            else if (e.key === "Escape" || e.key === "Tab") close();
            else return;
            e.preventDefault();
          }}
        >
          {props.items.map((item, i) => (
            <div
              key={item.label}
              role="menuitem"
              tabIndex={i === active ? 0 : -1}
              aria-disabled={item.disabled || undefined}
              title={item.hint}
              onClick={() => pick(item)}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  pick(item);
                }
              }}
            >
              {item.label}
              {item.disabled && item.hint ? <span className="muted small"> ({item.hint})</span> : null}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/** A small history router: the console's screens are a handful of paths, no library needed. */
import { useEffect, useState } from "react";

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, "", to);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function useLocation(): { path: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const on = () => setTick((t) => t + 1);
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

/** Matches `/orgs/:org/secrets` style patterns; null when the path does not fit. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const want = p[i]!;
    const got = s[i]!;
    if (want.startsWith(":")) out[want.slice(1)] = decodeURIComponent(got);
    else if (want !== got) return null;
  }
  return out;
}

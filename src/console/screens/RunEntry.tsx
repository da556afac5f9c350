/** One run-log entry as the server gives it: every string already redacted (X6). */
import type { RunLogEntry } from "../api.js";
import { when } from "../format.js";

const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

export function RunEntry(props: { entry: RunLogEntry }) {
  const e = props.entry;
  return (
    <article className={`run ${e.status}`} aria-label={`Run of ${e.consumer.name}`}>
      <header>
        <strong>{e.consumer.name}</strong> <span className={`status ${e.status}`}>{e.status}</span>{" "}
        <span className="muted small">
          {when(e.startedAt)}, {e.durationMs} ms, {e.attempts} attempt{e.attempts === 1 ? "" : "s"}, event{" "}
          {e.event.name}
        </span>
      </header>
      {e.error ? (
        <p className="error">
          {e.error.code}: {e.error.message}
        </p>
      ) : null}
      {e.request ? (
        <details open>
          <summary>Request</summary>
          <pre>
            {`${e.request.method} ${e.request.url}\n${Object.entries(e.request.headers)
              .map(([k, v]) => `${k}: ${v}`)
              .join("\n")}${e.request.body ? `\n\n${e.request.body}` : ""}`}
          </pre>
        </details>
      ) : null}
      {e.response ? (
        <details>
          <summary>Response ({e.response.status})</summary>
          <pre>{e.response.body}</pre>
        </details>
      ) : null}
      {e.console && e.console.length > 0 ? (
        <details open>
          <summary>Console</summary>
          <pre>{e.console.map((c) => `[${c.level}] ${c.message}`).join("\n")}</pre>
        </details>
      ) : null}
      {e.output !== undefined ? (
        <details open>
          <summary>Output</summary>
          <pre>{text(e.output)}</pre>
        </details>
      ) : null}
    </article>
  );
}

/**
 * One run-log entry as the server gives it: every string already redacted (X6). A flow's entry lists its
 * steps, each with its own request, response, console and output, and the run's warnings come first.
 */
import type { RunLogEntry, RunStep } from "../api.js";
import { when } from "../format.js";

const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

type Parts = Pick<RunStep, "request" | "response" | "console" | "output" | "error">;

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
      <Warnings entry={e} />
      <RunParts parts={e} open />
      {e.steps && e.steps.length > 0 ? (
        <ol className="run-steps" aria-label={`Steps of ${e.consumer.name}`}>
          {e.steps.map((s) => (
            <li key={s.id}>
              <details open={s.status === "failure" || s.carriedSecret === true}>
                <summary>
                  Step {s.id} ({s.type}) <span className={`status ${s.status}`}>{s.status}</span>{" "}
                  <span className="muted small">{s.durationMs} ms</span>
                  {s.carriedSecret ? <span className="badge warn">carried a secret</span> : null}
                </summary>
                <RunParts parts={s} open={false} />
              </details>
            </li>
          ))}
        </ol>
      ) : null}
    </article>
  );
}

function Warnings(props: { entry: RunLogEntry }) {
  const warnings = props.entry.warnings ?? [];
  if (warnings.length === 0) return null;
  return (
    <ul className="warnings" aria-label="Warnings">
      {warnings.map((w, i) => (
        <li key={`${w.code}-${w.step ?? i}`} className="warning">
          {w.code === "secret_in_output"
            ? `secret_in_output: step ${w.step ?? "?"} received or returned a secret's value (shown here as [[SENSITIVE]]); the steps after it could read it.`
            : `${w.code}${w.step ? ` (step ${w.step})` : ""}${w.secrets?.length ? `: ${w.secrets.join(", ")}` : ""}`}
        </li>
      ))}
    </ul>
  );
}

function RunParts(props: { parts: Parts; open: boolean }) {
  const e = props.parts;
  return (
    <>
      {e.error ? (
        <p className="error">
          {e.error.code}: {e.error.message}
        </p>
      ) : null}
      {e.request ? (
        <details open={props.open}>
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
        <details open={props.open}>
          <summary>Console</summary>
          <pre>{e.console.map((c) => `[${c.level}] ${c.message}`).join("\n")}</pre>
        </details>
      ) : null}
      {e.output !== undefined ? (
        <details open={props.open}>
          <summary>Output</summary>
          <pre>{text(e.output)}</pre>
        </details>
      ) : null}
    </>
  );
}

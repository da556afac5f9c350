/** The organization's audit log, with filters and the hash chain's verify state. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, errorText } from "../api.js";
import { outcomeOptions, when } from "../format.js";
import { useSession } from "../session.js";
import { ErrorLine, FilterSelect } from "../ui/Fields.js";
import { Grid } from "../ui/Grid.js";

export function AuditScreen() {
  const org = useSession().org.slug;
  const [action, setAction] = useState("");
  const [outcome, setOutcome] = useState("");
  const entries = useQuery({ queryKey: ["audit", org], queryFn: () => api.audit.list(org, { limit: 200 }) });
  const verify = useQuery({ queryKey: ["audit-verify", org], queryFn: () => api.audit.verify(org) });
  const rows = (entries.data ?? []).filter(
    (e) => (!action || e.action.includes(action)) && (!outcome || e.outcome === outcome),
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <p role="status" className={verify.data?.ok === false ? "error" : "hint"}>
        {verify.isPending
          ? "Checking the hash chain…"
          : verify.isError
            ? `The hash chain could not be checked: ${errorText(verify.error)}`
            : verify.data.ok
              ? `Hash chain verified: ${verify.data.checked} entries, none edited, removed or reordered.`
              : `The hash chain does not verify at entry ${verify.data.seq}: ${verify.data.reason}.`}
      </p>
      <div className="filters">
        <label className="field inline">
          <span>Action contains</span>
          <input value={action} onChange={(e) => setAction(e.target.value)} />
        </label>
        <FilterSelect
          label="Outcome"
          value={outcome}
          onChange={setOutcome}
          any="Any outcome"
          options={outcomeOptions(["success", "denied", "failure"])}
        />
      </div>
      <ErrorLine error={entries.isError ? errorText(entries.error) : null} />
      <Grid
        columns={["Time", "Actor", "Action", "Target", "Outcome", "Source"]}
        rows={rows}
        rowKey={(e) => e.id}
        cells={(e) => [
          when(e.at),
          e.actor.name ?? e.actor.type,
          e.action,
          e.target ? `${e.target.type} ${e.target.name ?? e.target.id ?? ""}` : "",
          e.outcome,
          e.sourceIp ?? "",
        ]}
      />
    </section>
  );
}

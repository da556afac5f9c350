/** The fields every consumer editor starts with: its name, and the event names it runs for. */
import { Field } from "./Fields.js";

export function NameAndEvent(props: {
  /** "Flow": the fields read "Flow name" and "Event". */
  noun: string;
  draft: { name: string; event: string };
  /** What the consumer does for an event ("runs", "sends"), for the filter's hint; no hint when absent. */
  verb?: string;
  onChange(patch: { name?: string; event?: string }): void;
}) {
  const { draft, verb } = props;
  const Verb = verb ? verb.charAt(0).toUpperCase() + verb.slice(1) : "";
  return (
    <>
      <Field
        label={`${props.noun} name`}
        value={draft.name}
        onChange={(e) => props.onChange({ name: e.target.value })}
        required
      />
      <Field
        label="Event"
        value={draft.event}
        onChange={(e) => props.onChange({ event: e.target.value })}
        {...(verb
          ? { hint: `${Verb} for events whose name starts with this; empty ${verb} for every event.` }
          : {})}
      />
    </>
  );
}

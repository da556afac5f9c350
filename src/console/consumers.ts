/**
 * The consumer kinds a project tab lists and edits: the words the tab uses and the client part that serves
 * it. A kind is also its list's query key.
 */
import { api, type ProjectScope, type RunLogEntry } from "./api.js";

export const CONSUMERS = {
  integrations: { title: "Integrations", noun: "integration", client: api.integrations },
  logic: { title: "Logic", noun: "logic function", client: api.logic },
  flows: { title: "Flows", noun: "flow", client: api.flows },
  templates: { title: "Templates", noun: "template", client: api.templates },
};

export type ConsumerKind = keyof typeof CONSUMERS;
type Client<K extends ConsumerKind> = (typeof CONSUMERS)[K]["client"];
/** A saved consumer of the kind, as the API answers it. */
export type Item<K extends ConsumerKind> = Awaited<ReturnType<Client<K>["list"]>>[number];
/** What creating or updating one sends. */
export type Input<K extends ConsumerKind> = Parameters<Client<K>["create"]>[1];

/** The four client parts seen through what they share (TypeScript cannot pair a kind with its own part). */
export function clientOf<K extends ConsumerKind>(kind: K) {
  return CONSUMERS[kind].client as unknown as {
    list(scope: ProjectScope): Promise<Item<K>[]>;
    create(scope: ProjectScope, input: Input<K>): Promise<Item<K>>;
    update(scope: ProjectScope, id: string, input: Input<K>): Promise<Item<K>>;
    /** All kinds but logic, which runs with a sample event instead. */
    test?(scope: ProjectScope, id: string, input: object): Promise<RunLogEntry>;
  };
}

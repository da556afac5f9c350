/**
 * The checks a consumer's save runs before its transaction (X2, X3, X4, X5, S11): template and code syntax,
 * names used but not declared, and who may hand restricted secrets to code.
 */
import type { OrgAudited } from "../auth/audited.js";
import { can } from "../auth/policy.js";
import { AppError } from "../errors.js";
import { referencedSecretNames, validateTemplates } from "../runtime/webhook/index.js";
import { literalUrlProblem } from "../runtime/webhook/literal-url.js";
import type { SecretResolver } from "../secrets/types.js";
import type { Store } from "../store/db.js";
import { checkFlowSteps, flowRefusal, refusedSteps } from "./flows.js";
import { bodyFields, type FieldProblem } from "./fns.js";
import type { ProjectTarget } from "./project.js";
import { requireDeclared } from "./save.js";
import type { Consumer, ConsumerInput } from "./schema.js";
import { checkTemplate } from "./templates.js";

export interface SaveChecksDeps {
  store: Store;
  secrets: Pick<SecretResolver, "declared">;
  audited: OrgAudited;
  /** The sandbox's parse check of a logic function (X3); the message names a line, never a value. */
  checkLogicSyntax(code: string): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Secret names a logic function's code reads from `secrets`. */
  logicSecretNames(code: string): string[];
  /** CLOAKROOM_ALLOW_PRIVATE_TARGETS: a literal private or loopback URL is then accepted at save, as at run time. */
  allowPrivateTargets?: boolean;
  /** Whether an app installation exists (X8), so a flow's `app` step naming none is refused at save. */
  installationExists?(projectId: string, installation: string): Promise<boolean>;
}

export interface SaveChecks {
  /** Checks that need no transaction: template and code syntax, names used but not declared. */
  checkInput(input: ConsumerInput, t: ProjectTarget): Promise<void>;
  /**
   * S11's second setting: unless the organization lets editors compute with restricted secrets, only owners
   * and admins save a logic function that declares one. An editor may still save such a function an admin
   * wrote when the code is unchanged and it declares no restricted secret it did not declare before
   * (rename, event filter, enabling, limits): the code that computes with the value stays the admin's.
   * Flows: the steps that compute with one (decision 0172), the same exception per unchanged step.
   * Checked before the saving transaction, since a refusal is audited in a transaction of its own.
   */
  checkComputeWithRestricted(
    t: ProjectTarget,
    action: "consumer.create" | "consumer.update",
    input: ConsumerInput,
    before: Consumer | null,
  ): Promise<void>;
}

const WHERE_USED = {
  integration: "the templates use",
  logic: "the code uses",
  template: "the templates use",
  flow: "the steps use",
} as const;

const KIND_LABEL = {
  integration: "integration",
  logic: "logic function",
  template: "template",
  flow: "flow",
} as const;

export const kindLabel = (kind: keyof typeof KIND_LABEL): string => KIND_LABEL[kind];

export function createSaveChecks(deps: SaveChecksDeps): SaveChecks {
  const allowPrivate = deps.allowPrivateTargets ?? false;

  async function problemsOf(input: ConsumerInput, t: ProjectTarget) {
    if (input.kind === "integration") {
      const problems = bodyFields(validateTemplates(input.request));
      const url = literalUrlProblem(input.request.url, { allowPrivate });
      if (url !== null) problems.push({ field: "body.request.url", message: url });
      return { problems, used: referencedSecretNames(input.request) };
    }
    if (input.kind === "template") return checkTemplate(input, { allowPrivate });
    if (input.kind === "flow") return checkFlowSteps(input.steps, deps, t.project.id);
    const syntax = await deps.checkLogicSyntax(input.code);
    const problems: FieldProblem[] = syntax.ok ? [] : [{ field: "body.code", message: syntax.message }];
    return { problems, used: syntax.ok ? deps.logicSecretNames(input.code) : [] };
  }

  /** The restricted secrets `names` declare in the project. */
  async function restrictedOf(t: ProjectTarget, names: string[]) {
    const scope = { orgId: t.access.org.id, projectId: t.project.id };
    return (await deps.secrets.declared(deps.store.db, scope, names)).refs.filter(
      (r) => r.visibility === "restricted",
    );
  }

  return {
    async checkInput(input, t) {
      const { problems, used } = await problemsOf(input, t);
      if (problems.length > 0) {
        throw new AppError("invalid_request", `invalid ${problems.map((p) => p.field).join(", ")}`, {
          fields: problems,
        });
      }
      requireDeclared(
        used,
        input.secrets,
        t.access.org.namingPolicy,
        (names) =>
          `${WHERE_USED[input.kind]} secrets the ${kindLabel(input.kind)} does not declare: ${names}`,
      );
    },

    async checkComputeWithRestricted(t, action, input, before) {
      if (input.kind === "integration" || input.kind === "template") return;
      if (can(t.access.role, "consumer.compute_restricted", t.access.org)) return;
      const restricted = await restrictedOf(t, input.secrets);
      if (restricted.length === 0) return;
      const names = restricted.map((r) => r.name);
      let message = `only owners and admins may hand restricted secrets to a logic function (${names.join(", ")}); an integration may insert them as they are`;
      const details: Record<string, unknown> = { secrets: names };
      if (input.kind === "flow") {
        const previous = before?.kind === "flow" ? before.steps : null;
        const policy = t.access.org.namingPolicy;
        const refused = refusedSteps(input.steps, previous, names, policy, deps.logicSecretNames);
        if (refused.length === 0) return;
        message = flowRefusal(names, refused);
        details.steps = refused;
      } else if (before?.kind === "logic" && before.code === input.code) {
        const had = new Set((await restrictedOf(t, before.secrets)).map((r) => r.secretId));
        if (restricted.every((r) => had.has(r.secretId))) return;
      }
      try {
        const target = { type: "secret", name: names.join(", ") };
        await deps.audited.authorize(t.access, { action, target, needs: ["consumer.compute_restricted"] });
      } catch (error) {
        if (error instanceof AppError && error.code === "forbidden")
          throw new AppError("forbidden", message, details);
        throw error;
      }
    },
  };
}

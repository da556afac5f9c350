/**
 * Save rules of message templates (SPEC X5): every string parses, uses only known macros, and the parts of
 * the channel that are written out literally can be sent at all (X2's URL rules for a webhook channel; for
 * an email channel a host the SSRF guard would refuse). Which secrets a template names is checked against
 * what it declares by the consumers service, as for every kind.
 */
import { isIP } from "node:net";
import { AppError } from "../errors.js";
import { readMacros } from "../runtime/templates/macros.js";
import { forbiddenRange } from "../runtime/webhook/address.js";
import { ALLOWED_METHODS, validateTemplates } from "../runtime/webhook/index.js";
import { literalUrlProblem } from "../runtime/webhook/literal-url.js";
import type { SecretType } from "../secrets/types.js";
import type { FieldProblem } from "./fns.js";
import type { Consumer } from "./schema.js";
import {
  type MessageTemplate,
  type TemplateConfig,
  type TemplateInput,
  templateStrings,
} from "./template-schema.js";

/** Problems with a template's strings (fields as the request names them), and the secrets it names. */
export function checkTemplate(
  input: TemplateInput,
  opts: { allowPrivate: boolean },
): { problems: FieldProblem[]; used: string[] } {
  const macros = readMacros(templateStrings(input));
  const problems: FieldProblem[] = macros.problems.map((p) => ({
    field: `body.${p.field}`,
    message: p.message,
  }));
  const channel = input.channel;
  if (channel.type === "webhook") {
    // Header names, checked as an integration's are; empty values, since readMacros reported the templates.
    const names = Object.fromEntries(Object.keys(channel.headers).map((name) => [name, ""]));
    const request = { method: "", url: "", headers: names, query: {}, body: null, basicAuth: null };
    for (const p of validateTemplates(request)) {
      problems.push({ field: `body.channel.${p.field.slice("request.".length)}`, message: p.message });
    }
    const method = channel.method.trim().toUpperCase();
    if (!channel.method.includes("{{") && !ALLOWED_METHODS.includes(method)) {
      problems.push({
        field: "body.channel.method",
        message: `must be one of ${ALLOWED_METHODS.join(", ")}`,
      });
    }
    const url = literalUrlProblem(channel.url, opts);
    if (url !== null) problems.push({ field: "body.channel.url", message: url });
  } else {
    const host = literalHostProblem(channel.smtp.host, opts);
    if (host !== null) problems.push({ field: "body.channel.smtp.host", message: host });
  }
  return { problems, used: macros.secrets };
}

/** Throws `invalid_request` naming each field whose macros read a path of a secret that has no parts. */
export function checkTypedParts(
  input: TemplateInput,
  refs: readonly { name: string; type: SecretType }[],
  policy: "upper_snake" | "alias",
): void {
  const parts = typedPartProblems(input, refs, policy);
  if (parts.length > 0) {
    throw new AppError("invalid_request", `invalid ${parts.map((p) => p.field).join(", ")}`, {
      fields: parts,
    });
  }
}

/**
 * Typed parts that the declared secret's type does not have (`{{API_KEY.username}}` on a token,
 * `{{CREDS.pin}}` on a username and password): each would render nothing at every send. A `json`
 * secret's keys are inside its value, unknown here, so any path below it is accepted.
 */
export function typedPartProblems(
  input: TemplateInput,
  refs: readonly { name: string; type: SecretType }[],
  policy: "upper_snake" | "alias",
): FieldProblem[] {
  const fold = (name: string) => (policy === "alias" ? name.toLowerCase() : name);
  const types = new Map(refs.map((r) => [fold(r.name), r.type]));
  const problems: FieldProblem[] = [];
  for (const { field, template } of templateStrings(input)) {
    const wrong = new Set<string>();
    for (const { name, path } of readMacros([{ field, template }]).uses) {
      const type = types.get(fold(name));
      if (path.length === 0 || type === undefined || type === "json") continue;
      if (
        type === "username_password" &&
        path.length === 1 &&
        (path[0] === "username" || path[0] === "password")
      ) {
        continue;
      }
      wrong.add(`${name}.${path.join(".")}`);
    }
    if (wrong.size > 0) {
      problems.push({
        field: `body.${field}`,
        message:
          `no such part: ${[...wrong].join(", ")} (a token has no parts; a username and password has ` +
          "username and password)",
      });
    }
  }
  return problems;
}

/** A host written out (no tag) that the SSRF guard would refuse whatever the event. */
function literalHostProblem(template: string, opts: { allowPrivate: boolean }): string | null {
  if (template.includes("{{") || opts.allowPrivate) return null;
  const host = template.trim().toLowerCase();
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare === "localhost" || bare.endsWith(".localhost")) {
    return "points at localhost, which message templates may not reach";
  }
  if (isIP(bare) === 0) return null;
  const range = forbiddenRange(bare);
  return range === null ? null : `points at a ${range} address, which message templates may not reach`;
}

export function templateConfig(input: TemplateInput): TemplateConfig {
  return { subject: input.subject, body: input.body, channel: input.channel };
}

export function templateView(t: MessageTemplate): MessageTemplate {
  return {
    id: t.id,
    name: t.name,
    event: t.event,
    enabled: t.enabled,
    secrets: t.secrets,
    subject: t.subject,
    body: t.body,
    channel: t.channel,
  };
}

/** A stored template row as the runtime sees it. */
export function templateConsumer(
  base: Omit<Extract<Consumer, { kind: "template" }>, "kind" | keyof TemplateConfig>,
  config: TemplateConfig,
): Extract<Consumer, { kind: "template" }> {
  return { ...base, kind: "template", subject: config.subject, body: config.body, channel: config.channel };
}

/**
 * Run errors of a webhook integration. They are not `AppError`s because their codes are run-log codes
 * (SPEC's run-log entry `error.code`), not HTTP codes; they carry the same `code`/`message`/`details` shape
 * so the runtime can copy them into a run-log entry as they are.
 *
 * Messages name fields, headers and hosts, never a rendered value: a rendered value may hold a secret.
 */
export type RenderErrorCode = "template_error" | "header_injection";

export class RenderError extends Error {
  override readonly name = "RenderError";
  readonly details: { field: string };
  constructor(
    readonly code: RenderErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.details = { field };
  }
}

export class TargetForbiddenError extends Error {
  override readonly name = "TargetForbiddenError";
  readonly code = "target_forbidden";
  readonly details: { host: string; address: string; range: string };
  constructor(host: string, address: string, range: string) {
    super(
      `webhook target ${host} is not allowed: ${address} is in the ${range} range ` +
        "(the operator can allow private targets with CLOAKROOM_ALLOW_PRIVATE_TARGETS=true)",
    );
    this.details = { host, address, range };
  }
}

export const isTargetForbidden = (e: unknown): e is TargetForbiddenError => e instanceof TargetForbiddenError;

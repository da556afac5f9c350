/**
 * The one error type of Cloakroom. `code` is one of SPEC.md's "Bad input" codes (HTTP) or a run error code;
 * the HTTP layer maps it to a status. Messages are built from names and ids, never from values or bodies.
 */
export const httpStatusByCode = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  name_taken: 409,
  secret_in_use: 409,
  installation_in_use: 409,
  version_conflict: 409,
  already_set_up: 409,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof httpStatusByCode;

export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get status(): number {
    return httpStatusByCode[this.code];
  }
}

/**
 * A run's failure (webhook, logic function): it is stored in the run log, not sent as an HTTP status.
 * Codes: secret_archived, secret_not_found, template_error, header_injection, target_forbidden,
 * destination_not_allowed (S12), timeout, ...
 */
export class RunError extends Error {
  override readonly name = "RunError";
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

export {
  createWebhookClient,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  type DeliveryErrorCode,
  type DeliveryOptions,
  type DeliveryResult,
  TRUNCATION_NOTE,
  type WebhookClient,
} from "./client.js";
export { isTargetForbidden, RenderError, type RenderErrorCode, TargetForbiddenError } from "./errors.js";
export { createTargetGuard, type TargetGuard } from "./guard.js";
export { HEADER_NAME, RESERVED_HEADERS } from "./headers.js";
export {
  ALLOWED_METHODS,
  hasPartial,
  MAX_RENDER_STEPS,
  MAX_RENDERED_CHARS,
  parseTemplate,
  type RenderedRequest,
  type RequestFields,
  referencedSecretNames,
  renderTextFields,
  renderWebhookRequest,
  type TemplateEvent,
  type TemplateSecrets,
  type TemplateToken,
  validateTemplates,
  type WebhookRequestTemplate,
} from "./template.js";

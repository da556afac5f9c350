export { type Action, actions, can } from "./policy.js";
export { AUTH_RATE_LIMIT_PER_MINUTE, authRoutes } from "./routes.js";
export * from "./schema.js";
export {
  type AuditTarget,
  type AuthHeaders,
  type AuthService,
  type AuthServiceDeps,
  createAuthService,
  DEFAULT_SESSION_TTL_MS,
  extractToken,
  SESSION_COOKIE,
  type SessionAnswer,
} from "./service.js";
export * from "./types.js";

export { type AuditAction, auditActions } from "./actions.js";
export {
  type Anchor,
  type Anchorer,
  anchorFilePath,
  createAnchorer,
  readAnchors,
} from "./anchors.js";
export {
  type AuditCaller,
  type Audited,
  type AuditedChange,
  type AuditTarget,
  type ChangeEntry,
  createAudited,
  type Refusal,
  refuse,
} from "./audited.js";
export { findAuditKey, loadAuditKey } from "./key.js";
export { type AuditRoutesAuth, auditEntrySchema, auditRoutes } from "./routes.js";
export { createAuditLog } from "./service.js";
export type {
  AuditEntry,
  AuditEntryInput,
  AuditLog,
  AuditOutcome,
  SystemActor,
  VerifyResult,
} from "./types.js";
export { verifyAuditChain } from "./verify.js";

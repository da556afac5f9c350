/**
 * The sandbox that runs logic functions (SPEC X3) and expressions (SPEC X4): QuickJS compiled to wasm, in
 * a pool of worker threads, with a fresh runtime and context per run. See docs/decisions/0102-sandbox.md.
 */
import { createSandboxPool as createPool } from "./pool.js";
import type { SandboxPool, SandboxPoolOptions } from "./types.js";

export { referencedSecretNames } from "./secret-refs.js";
export type {
  ConsoleLevel,
  ConsoleLine,
  SandboxError,
  SandboxErrorCode,
  SandboxExpressionInput,
  SandboxExpressionsInput,
  SandboxPool,
  SandboxPoolOptions,
  SandboxResult,
  SandboxRunInput,
  SyntaxCheckResult,
} from "./types.js";
export { TRUNCATION_MARK } from "./types.js";

export function createSandboxPool(options?: SandboxPoolOptions): SandboxPool {
  return createPool(options);
}

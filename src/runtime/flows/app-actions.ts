/**
 * What an `app` step needs from app installations (SPEC X8): invoke one action of an installation with
 * its input already resolved. The apps domain implements it; the composition root hands it in. A failure
 * throws RunError (src/errors.ts) with its code, retryable when another attempt may succeed.
 */
export interface AppActions {
  invoke(args: {
    orgId: string;
    projectId: string;
    installation: string;
    action: string;
    input: Record<string, string>;
    tenant: string;
  }): Promise<{
    request: { method: string; url: string; headers: Record<string, string>; body: string | null };
    response: { status: number; headers: Record<string, string>; body: unknown };
    output: unknown;
  }>;
  exists?(projectId: string, installation: string): Promise<boolean>;
}

/** Sessions: a random token handed to the person once, its hash in the database (decision 0106). */
import { generateToken, hashToken } from "../crypto/index.js";
import type { Tx } from "../store/db.js";
import { newId } from "../store/ids.js";
import * as q from "./store.js";

export interface SessionAnswer {
  token: string;
  expiresAt: string;
}

/** Starts sessions inside the caller's transaction, so a session exists only if the change around it commits. */
export type SessionIssuer = (tx: Tx, userId: string) => Promise<SessionAnswer>;

export function sessionIssuer(ttlMs: number, now: () => number): SessionIssuer {
  return async (tx, userId) => {
    const token = generateToken("crk_s");
    const at = now();
    const expiresAt = new Date(at + ttlMs).toISOString();
    await q.deleteExpiredSessions(tx, new Date(at).toISOString(), userId);
    await q.insertSession(tx, {
      id: newId(),
      userId,
      tokenHash: hashToken(token),
      at: new Date(at).toISOString(),
      expiresAt,
    });
    return { token, expiresAt };
  };
}

/**
 * Cross-site request forgery guard for the console's cookie sessions (decision note 0160). A bearer token
 * cannot be sent by another site, so only requests that ride on the session cookie, or ask for one, are
 * checked: they must carry the console's header (which no other origin can add without a CORS preflight,
 * and the server answers none), and the browser's own `Sec-Fetch-Site` and `Origin`, when sent, must say
 * the request comes from this server's pages.
 */
import type { FastifyRequest } from "fastify";

/** The console's session cookie; auth sets and reads it, this guard only looks for it (http sits below auth). */
export const SESSION_COOKIE = "cloakroom_session";

/** Sent by the console on every request; on sign-in and setup it also asks for the session cookie. */
export const CONSOLE_HEADER = "x-cloakroom-console";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether sign-in or setup should answer with the session cookie. */
export function wantsCookie(request: FastifyRequest): boolean {
  return request.headers[CONSOLE_HEADER] === "1";
}

function carriesSessionCookie(request: FastifyRequest): boolean {
  if (request.headers.authorization) return false;
  const cookie = request.headers.cookie;
  if (!cookie) return false;
  return cookie.split(";").some((part) => part.trim().startsWith(`${SESSION_COOKIE}=`));
}

/** Why a state-changing cookie request is refused, or null when it may go ahead. */
export function csrfRefusal(request: FastifyRequest): string | null {
  if (SAFE_METHODS.has(request.method)) return null;
  const asksCookie = request.headers[CONSOLE_HEADER] !== undefined;
  if (!carriesSessionCookie(request) && !asksCookie) return null;
  if (request.headers[CONSOLE_HEADER] !== "1") return "csrf_missing_header";
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return "csrf_cross_site";
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `${request.protocol}://${request.host}`)
    return "csrf_foreign_origin";
  return null;
}

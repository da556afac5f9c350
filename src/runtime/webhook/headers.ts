/**
 * The shape of an outgoing HTTP request's header names, shared by integrations (X2) and flows' http steps
 * (X4), so that both refuse the same names when saved.
 */

/** Headers the HTTP client owns; a template that sets them would desynchronise framing or the connection. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "content-length",
  "expect",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** RFC 9110's token: what a header name may be. */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

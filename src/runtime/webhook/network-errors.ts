/**
 * What a failed connection's error code means, in words a run-log entry shows; shared by the webhook client
 * and the mail channel (SPEC X2, X5). Messages are built from these codes, never from the error's own
 * message, which may quote a host or URL filled from a secret.
 */
export const SOCKET_ERROR_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: "the connection was refused",
  ECONNRESET: "the connection was reset",
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name could not be resolved (temporary DNS failure)",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
};

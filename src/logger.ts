/**
 * The server's own logs (pino). Nothing here should ever see a value: request logging carries method, route
 * and status only. The redact paths are a second line of defence for a field that slips into a log call.
 */
import { type DestinationStream, type Logger, pino } from "pino";

export const redactedLogPaths = [
  "*.authorization",
  "*.cookie",
  "*.password",
  "*.token",
  "*.value",
  "*.secret",
  "*.secrets",
  "*.headers",
  "*.body",
  "req.headers",
  "request.body",
  // Node's HTTP parser errors carry the request's bytes.
  "rawPacket",
  "*.rawPacket",
];

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "cloakroom" },
      redact: { paths: redactedLogPaths, censor: "[[SENSITIVE]]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

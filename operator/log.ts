/**
 * Structured JSON logs (pino). Messages are constant, capitalised and past tense ("Rotated KEM key");
 * everything variable goes into key/values. Reconcilers take a child logger with kind, namespace and name.
 * Never pass key material, seeds or tokens to a logger.
 *
 * @example
 * const log = logger.child({ kind: "MCPServer", namespace: "mcp", name: "weather" });
 * log.info({ keyId }, "Rotated KEM key");
 */
import { pino, type Logger } from "pino";

export type { Logger };

/** The process-wide logger; level from `LATTICEGUARD_LOG_LEVEL` (default `info`). */
export const logger: Logger = pino({
  name: "latticeguard",
  level: process.env.LATTICEGUARD_LOG_LEVEL ?? "info",
  // Field names that must never reach a log line, wherever they appear.
  redact: {
    paths: ["token", "*.token", "seed", "*.seed", "privateKey", "*.privateKey", "authorization"],
    censor: "[redacted]",
  },
});

/**
 * The annotations and labels that are part of LatticeGuard's API, in one place.
 *
 * @example
 * pod.metadata.annotations[TRANSPORT_ANNOTATION] = "X25519MLKEM768";
 */

/** On a pod: the TLS 1.3 key-exchange group its MCP endpoint uses. */
export const TRANSPORT_ANNOTATION = "latticeguard.dev/transport";

/** On a pod: marks it as exposing an MCP endpoint on this port (name or number). */
export const MCP_PORT_ANNOTATION = "latticeguard.dev/mcp-port";

/**
 * On an MCPServer: any new value rotates its KEM key at once and drops every other key. Use a fresh value
 * (a timestamp) each time: `kubectl annotate mcpserver weather latticeguard.dev/lockdown=$(date +%s) --overwrite`.
 */
export const LOCKDOWN_ANNOTATION = "latticeguard.dev/lockdown";

/** On a keyring Secret: the lockdown value already acted on, so a restart never repeats a lockdown. */
export const LOCKDOWN_HANDLED_ANNOTATION = "latticeguard.dev/lockdown-handled";

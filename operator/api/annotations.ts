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

/**
 * On a pod: `"false"` opts it out of the injected LatticeGuard proxy. Honoured only where every
 * CryptoPolicy of the namespace sets `spec.transport.allowOptOut: true`; the pod must then terminate
 * post-quantum TLS itself and declare it with {@link TRANSPORT_ANNOTATION} (a claim).
 */
export const INJECT_ANNOTATION = "latticeguard.dev/inject";

/** On a pod: set by the mutating webhook to the MCPServer whose proxy it injected. */
export const INJECTED_ANNOTATION = "latticeguard.dev/injected";

/**
 * A label on a pod, `"true"`: set by the mutating webhook beside {@link INJECTED_ANNOTATION}, so that a
 * Prometheus Operator PodMonitor (the chart's `podMonitor`) can select the pods whose proxy serves
 * metrics. A label, not an annotation, because only labels can be selected.
 */
export const PROXIED_LABEL = "latticeguard.dev/proxied";

/**
 * On a client pod: the MCPServers it calls, comma-separated, each `<name>` (in the pod's namespace) or
 * `<namespace>/<name>`. The issuer gives such a pod a client identity when a named MCPServer's
 * `spec.clients` admits it.
 */
export const CONNECT_ANNOTATION = "latticeguard.dev/connect";

/** The injected proxy's container (a native sidecar: an init container with `restartPolicy: Always`). */
export const PROXY_CONTAINER = "latticeguard-proxy";

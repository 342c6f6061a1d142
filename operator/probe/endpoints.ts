/**
 * Where an MCPServer answers: each selected pod's `status.podIP` on the MCP port (`spec.port`, a number
 * or the name of a container port; with LatticeGuard's proxy injected that is the proxy's port, since the
 * proxy listens on the MCP port and forwards to loopback). Pods without an IP yet, terminating pods and
 * pods whose named port is missing are skipped: they have no endpoint to probe.
 *
 * The operator's pod informer keeps only the fields read here and elsewhere (`cachedPodFields` in
 * operator/informers.ts).
 *
 * @example
 * serverEndpoints(server, pods.inNamespace("mcp"), policy, proxyImage);
 * // [{ pod: "weather-0", host: "10.0.0.7", port: 8443, claimed: false }]
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { MCPServer } from "../api/types.generated.ts";
import { portNumber } from "../policy/exposure.ts";
import type { EffectivePolicy } from "../policy/merge.ts";
import { selects } from "../policy/selector.ts";
import { podTransport } from "../policy/transport.ts";

/**
 * One endpoint to probe.
 *
 * @example
 * const e: Endpoint = { pod: "weather-0", host: "10.0.0.7", port: 8443, claimed: true };
 */
export interface Endpoint {
  pod: string;
  host: string;
  port: number;
  /** The pod claims post-quantum transport by annotation (no LatticeGuard proxy): the probe checks it. */
  claimed: boolean;
}

/**
 * The endpoints of `server` among `pods` (its namespace's), in pod-name order.
 *
 * @example
 * serverEndpoints(server, pods, policy, "ghcr.io/latticeguard/latticeguard:0.1.0").length; // 3
 */
export function serverEndpoints(
  server: Pick<MCPServer, "spec">,
  pods: readonly V1Pod[],
  policy: Pick<EffectivePolicy, "keyExchange">,
  proxyImage: string | undefined,
): Endpoint[] {
  const found: Endpoint[] = [];
  for (const pod of pods) {
    if (!selects(server.spec.selector, pod.metadata?.labels)) continue;
    const host = pod.status?.podIP;
    const port = portNumber(pod, server.spec.port);
    if (!host || port === undefined || pod.metadata?.deletionTimestamp) continue;
    const claimed = podTransport(pod, policy, proxyImage) === "claim";
    found.push({ pod: pod.metadata?.name ?? "", host, port, claimed });
  }
  return found.sort((a, b) => a.pod.localeCompare(b.pod));
}

/**
 * Whether a pod's MCP endpoint uses post-quantum transport under a policy, and how it says so:
 *
 * - `sidecar`: LatticeGuard's proxy is in the pod as a native sidecar, from the configured proxy image,
 *   offering only groups the policy allows (sidecar.ts). LatticeGuard put it there and it terminates TLS
 *   on the MCP port: checked, not claimed.
 * - `claim`: the `latticeguard.dev/transport` annotation names a group the policy allows. The server says
 *   it terminates post-quantum TLS itself; nothing at admission can check that (the leader's endpoint
 *   probes will), so it is reported as a claim.
 *
 * @example
 * podTransport(pod, policy, proxyImage); // "sidecar" | "claim" | undefined
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { KeyExchangeGroup } from "../api/algorithms.ts";
import { TRANSPORT_ANNOTATION } from "../api/annotations.ts";
import type { EffectivePolicy } from "./merge.ts";
import { hasProxySidecar, type SidecarShape } from "./sidecar.ts";

/**
 * How a pod has post-quantum transport.
 *
 * @example
 * const how: PodTransport = "sidecar";
 */
export type PodTransport = "sidecar" | "claim";

/**
 * The key-exchange group a pod declares, if any.
 *
 * @example
 * declaredTransport({ metadata: { annotations: { "latticeguard.dev/transport": "MLKEM1024" } } }); // "MLKEM1024"
 */
export function declaredTransport(pod: Pick<V1Pod, "metadata">): string | undefined {
  return pod.metadata?.annotations?.[TRANSPORT_ANNOTATION];
}

/**
 * Whether the pod declares (claims) a group that `policy` allows.
 *
 * @example
 * hasPostQuantumTransport(pod, policy); // true for "X25519MLKEM768" under the default policy
 */
export function hasPostQuantumTransport(
  pod: Pick<V1Pod, "metadata">,
  policy: Pick<EffectivePolicy, "keyExchange">,
): boolean {
  const group = declaredTransport(pod);
  return group !== undefined && policy.keyExchange.includes(group as KeyExchangeGroup);
}

/**
 * How the pod has post-quantum transport under `policy`, the sidecar first; undefined when it has none.
 * `proxyImage` is the configured proxy image (undefined: none, so no sidecar counts).
 *
 * @example
 * podTransport(injectedPod, policy, "ghcr.io/latticeguard/latticeguard:0.1.0"); // "sidecar"
 */
export function podTransport(
  pod: Pick<V1Pod, "metadata"> & SidecarShape,
  policy: Pick<EffectivePolicy, "keyExchange">,
  proxyImage: string | undefined,
): PodTransport | undefined {
  if (hasProxySidecar(pod, policy, proxyImage)) return "sidecar";
  return hasPostQuantumTransport(pod, policy) ? "claim" : undefined;
}

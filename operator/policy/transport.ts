/**
 * Whether a pod's MCP endpoint uses post-quantum transport under a policy: its
 * `latticeguard.dev/transport` annotation names a key-exchange group the policy allows.
 *
 * @example
 * hasPostQuantumTransport(pod, policy); // true for "X25519MLKEM768" under the default policy
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { KeyExchangeGroup } from "../api/algorithms.ts";
import { TRANSPORT_ANNOTATION } from "../api/annotations.ts";
import type { EffectivePolicy } from "./merge.ts";

/** The key-exchange group a pod declares, if any. */
export function declaredTransport(pod: Pick<V1Pod, "metadata">): string | undefined {
  return pod.metadata?.annotations?.[TRANSPORT_ANNOTATION];
}

/** Whether the pod declares a group that `policy` allows. */
export function hasPostQuantumTransport(
  pod: Pick<V1Pod, "metadata">,
  policy: Pick<EffectivePolicy, "keyExchange">,
): boolean {
  const group = declaredTransport(pod);
  return group !== undefined && policy.keyExchange.includes(group as KeyExchangeGroup);
}

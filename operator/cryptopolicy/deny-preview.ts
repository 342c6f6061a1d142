/**
 * The deny preview: how many pods of one namespace the admission webhook would deny under `Enforce`.
 * It runs the webhook's own pod rule ({@link podFindings}, as `webhook/pod-validator.ts` does) over the
 * operator's caches, with the namespace's effective policy and the configured proxy image, so the preview
 * and the webhook cannot disagree about what breaks a policy. Pods being deleted are not counted (the
 * webhook admits them). Pure.
 *
 * @example
 * deniedUnderEnforce(pods.inNamespace("shop"), "shop", servers.inNamespace("shop"), resolution, proxyImage); // 2
 */
import type { V1Pod } from "@kubernetes/client-node";
import { podFindings } from "../../webhook/pod-decision.ts";
import type { MCPServer } from "../api/types.generated.ts";
import type { PolicyResolution } from "../policy/merge.ts";

/**
 * The pods of `namespace` that break `resolution` and so would be denied under `Enforce`.
 *
 * @example
 * deniedUnderEnforce([uncoveredMcpPod], "shop", [], resolution, undefined); // 1
 */
export function deniedUnderEnforce(
  pods: readonly V1Pod[],
  namespace: string,
  servers: readonly MCPServer[],
  resolution: PolicyResolution,
  proxyImage: string | undefined,
): number {
  // Only the proxy image matters for a pod's own rule; the rest shapes patches and messages.
  const injection = { proxyImage, issuerUrl: "", bundleConfigMap: "" };
  return pods.filter(
    (pod) =>
      !pod.metadata?.deletionTimestamp &&
      podFindings({ template: pod, namespace, servers, resolution, isTemplate: false, injection })
        .violations.length > 0,
  ).length;
}

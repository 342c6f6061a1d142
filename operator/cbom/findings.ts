/**
 * MCP transport, pod by pod, by the rules admission applies (policy/exposure.ts, policy/transport.ts): a
 * pod that exposes an MCP endpoint has post-quantum transport when an MCPServer covers it and its
 * `latticeguard.dev/transport` annotation names a group its namespace's effective policy allows. Such a
 * pod counts toward its MCPServers' claimed groups (a claim: the annotation says so, nothing has checked
 * the wire). Every other MCP pod is a finding, with the reason and the quantum security level of what it
 * declares: 0 for a classical group, a name that is no known group, or no group at all. Pods that are
 * terminating or have finished (`Succeeded`, `Failed`) serve nothing and are skipped, by the rule shadow
 * discovery applies (shadow/classify.ts, `servingPod`): the uncovered MCP pods here are the shadow
 * servers it lists as pods. Pure.
 *
 * @example
 * const { findings, claims } = transportOf(pods, servers, resolve);
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { MCPServer } from "../api/types.generated.ts";
import {
  coveringServers,
  describeExposure,
  mcpExposure,
  type PodShape,
} from "../policy/exposure.ts";
import type { EffectivePolicy } from "../policy/merge.ts";
import { hasProxySidecar, proxyContainer, proxyGroups } from "../policy/sidecar.ts";
import { declaredTransport, hasPostQuantumTransport } from "../policy/transport.ts";
import { servingPod } from "../shadow/classify.ts";
import { keyExchangeFacts } from "./algorithms.ts";
import type { FindingReason, TransportFinding } from "./inventory.ts";

/**
 * A pod as the findings read it: metadata (namespace, name, labels, annotations), the ports of its
 * containers, and its phase.
 *
 * @example
 * const pod: PodRecord = { metadata: { namespace: "mcp", name: "weather-0", labels: { app: "weather" } }, spec: { containers: [] } };
 */
export type PodRecord = PodShape & Pick<V1Pod, "metadata"> & { status?: { phase?: string } };

/** The longest `latticeguard.dev/transport` value a finding quotes. */
const MAX_DECLARED = 64;

/**
 * The effective policy of a namespace, as `resolvePolicy` gives it (with its enforcement even when
 * policies conflict).
 *
 * @example
 * const resolve: ResolvePolicy = (ns) => resolvePolicy(policies, labels[ns]).policy;
 */
export type ResolvePolicy = (namespace: string) => EffectivePolicy;

/**
 * What the pods show: the findings, and per MCPServer (`namespace/name`) how many of its compliant pods
 * claim each group.
 *
 * @example
 * claims.get("mcp/weather"); // { X25519MLKEM768: 2 }
 */
export interface PodTransport {
  findings: TransportFinding[];
  claims: Map<string, Record<string, number>>;
}

function reasonFor(
  declared: string | undefined,
  covered: boolean,
): { reason: FindingReason; group?: string; level: number } {
  if (declared === undefined) return { reason: "NoTransportDeclared", level: 0 };
  const facts = keyExchangeFacts(declared);
  if (!facts) return { reason: "UnknownGroup", level: 0 };
  const level = facts.nistQuantumSecurityLevel ?? 0;
  if (level === 0) return { reason: "ClassicalGroup", group: facts.name, level };
  return { reason: covered ? "GroupNotAllowed" : "NotCovered", group: facts.name, level };
}

/** Counts `pod`'s declared group toward each MCPServer that covers it. */
function claim(
  claims: Map<string, Record<string, number>>,
  namespace: string,
  covering: readonly string[],
  group: string,
): void {
  for (const name of covering) {
    const counts = claims.get(`${namespace}/${name}`) ?? {};
    counts[group] = (counts[group] ?? 0) + 1;
    claims.set(`${namespace}/${name}`, counts);
  }
}

/**
 * The post-quantum groups a pod's MCP endpoint uses: those its LatticeGuard proxy offers (recognised by
 * its shape and groups: the CBOM does not know the configured image), else the group it claims; none
 * when it has neither. The one rule of the CBOM for "has post-quantum transport".
 *
 * @example
 * postQuantumGroups(proxiedPod, policy); // ["X25519MLKEM768"]
 */
export function postQuantumGroups(pod: PodRecord, policy: EffectivePolicy): string[] {
  const proxy = proxyContainer(pod)?.container;
  if (proxy && hasProxySidecar(pod, policy, proxy.image)) return proxyGroups(proxy);
  return hasPostQuantumTransport(pod, policy) ? [declaredTransport(pod)!] : [];
}

/** The finding of one MCP pod, or its claim when its transport is post-quantum. */
function examine(
  pod: PodRecord,
  inNamespace: readonly MCPServer[],
  resolve: ResolvePolicy,
  claims: Map<string, Record<string, number>>,
): TransportFinding | undefined {
  const exposure = mcpExposure(pod, inNamespace);
  if (exposure.length === 0) return undefined;
  const namespace = pod.metadata?.namespace ?? "";
  const policy = resolve(namespace);
  const covering = coveringServers(pod.metadata?.labels, inNamespace).map((s) => s.metadata.name!);
  const declared = declaredTransport(pod);
  const transport = covering.length > 0 ? postQuantumGroups(pod, policy) : [];
  if (transport.length > 0) {
    for (const group of transport) claim(claims, namespace, covering, group);
    return undefined;
  }
  const { reason, group, level } = reasonFor(declared, covering.length > 0);
  return {
    namespace,
    pod: pod.metadata?.name ?? "",
    reason,
    ...(declared !== undefined && { declared: declared.slice(0, MAX_DECLARED) }),
    ...(group && { group }),
    quantumSecurityLevel: level,
    enforcement: policy.enforcement,
    policies: policy.policies,
    mcpservers: covering,
    exposedBy: exposure.map(describeExposure),
  };
}

/**
 * The findings and claims of `pods`, given every MCPServer and each namespace's effective policy.
 *
 * @example
 * transportOf([legacyPod], [], () => DEFAULT_POLICY).findings[0]?.reason; // "NoTransportDeclared"
 */
export function transportOf(
  pods: readonly PodRecord[],
  servers: readonly MCPServer[],
  resolve: ResolvePolicy,
): PodTransport {
  const byNamespace = new Map<string, MCPServer[]>();
  for (const s of servers) {
    const ns = s.metadata.namespace ?? "";
    const list = byNamespace.get(ns);
    if (list) list.push(s);
    else byNamespace.set(ns, [s]);
  }
  const findings: TransportFinding[] = [];
  const claims = new Map<string, Record<string, number>>();
  for (const pod of pods) {
    if (!servingPod(pod)) continue;
    const inNamespace = byNamespace.get(pod.metadata?.namespace ?? "") ?? [];
    const found = examine(pod, inNamespace, resolve, claims);
    if (found) findings.push(found);
  }
  return { findings, claims };
}

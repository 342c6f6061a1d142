/**
 * Whether, and how, LatticeGuard's proxy goes into a pod: the mutating webhook's decision, as one pure
 * function of the pod, the MCPServers of its namespace, its effective policy and the operator's settings.
 * The validating webhook asks the same question of a pod template ("will its pods get the proxy?").
 *
 * The proxy is injected on Pod CREATE when an MCPServer selects the pod and asks for it
 * (`spec.proxy.mode: Sidecar`, or `Auto` where the effective enforcement is `Enforce`), in this order of
 * reasons not to:
 *
 * 1. `InjectionOff`: no proxy image is configured (`--proxy-image`).
 * 2. `AlreadyInjected`: the pod has a container named `latticeguard-proxy` (idempotent: a second call,
 *    `reinvocationPolicy: IfNeeded`, or a template that already carries it, change nothing).
 * 3. `NotSelected`: no MCPServer that selects the pod asks for the proxy.
 * 4. `OptedOut`: `latticeguard.dev/inject: "false"` where the policy allows opting out. Where it does not,
 *    the proxy is injected anyway, with a warning.
 * 5. `HostNetwork`, `PolicyConflict`, `PortNotFound`, `PortConflict`, `VolumeConflict`: injecting would
 *    not work (the pod shares the node's network; the policies allow no group; the MCPServer's
 *    `spec.port` names no port of the pod; the MCP port, or a port of the pod, is the proxy's metrics
 *    port, by number or name; the pod already has a volume of the proxy's names, as an agent pod does),
 *    each with a warning that says what to change.
 *
 * Several MCPServers asking for the proxy of one pod: the first by name is served, with a warning (one
 * proxy fronts one port). The sidecar (proxy-spec.ts) is the design's, issue 11 "Injection", but for the
 * name of its metrics port: first of the init containers, binding the pod IP on the MCP port, forwarding
 * to 127.0.0.1 on the same port.
 *
 * @example
 * const plan = planInjection({ pod, namespace: "shop", servers, policy, settings });
 * const { patch, warnings } = mutatePod({ pod, namespace: "shop", servers, policy, settings });
 */
import type { V1Container, V1PodSpec, V1Volume } from "@kubernetes/client-node";
import { INJECT_ANNOTATION } from "../operator/api/annotations.ts";
import type { MCPServer } from "../operator/api/types.generated.ts";
import { coveringServers, portNumber, type PodShape } from "../operator/policy/exposure.ts";
import type { EffectivePolicy } from "../operator/policy/merge.ts";
import { proxyContainer } from "../operator/policy/sidecar.ts";
import { policyPhrase } from "./enforcement.ts";
import { injectionPatch, type PatchOperation } from "./injection-patch.ts";
import {
  PROXY_METRICS_PORT,
  PROXY_METRICS_PORT_NAME,
  proxySidecar,
  proxyVolumes,
} from "./proxy-spec.ts";

/**
 * What the operator is configured with for injection.
 *
 * @example
 * const settings: InjectionSettings = { proxyImage: "ghcr.io/latticeguard/latticeguard:0.1.0",
 *   issuerUrl: "https://latticeguard-issuer.latticeguard-system.svc:8443", bundleConfigMap: "latticeguard-trust-bundle" };
 */
export interface InjectionSettings {
  /** The proxy's image (`--proxy-image`); undefined: nothing is injected. */
  proxyImage: string | undefined;
  /** The issuance API the proxy gets its identity from (`--proxy-issuer-url`). */
  issuerUrl: string;
  /** The trust bundle ConfigMap in the pod's namespace (`--trust-bundle-configmap`). */
  bundleConfigMap: string;
}

/**
 * A pod as the decision reads it: the exposure rules' shape, and the volumes and network of its spec.
 *
 * @example
 * const pod: InjectablePod = { metadata: { labels }, spec: { containers, volumes: [] } };
 */
export type InjectablePod = PodShape & {
  spec?: Pick<V1PodSpec, "volumes" | "hostNetwork">;
};

/**
 * What the decision is made from.
 *
 * @example
 * const input: InjectionInput = { pod, namespace: "shop", servers: view.servers("shop"), policy, settings };
 */
export interface InjectionInput {
  pod: InjectablePod;
  namespace: string;
  /** The MCPServers of the pod's namespace. */
  servers: readonly MCPServer[];
  /** The namespace's effective policy. */
  policy: EffectivePolicy;
  settings: InjectionSettings;
}

/**
 * Why the proxy is not injected (see the module notes).
 *
 * @example
 * const reason: SkipReason = "OptedOut";
 */
export type SkipReason =
  | "InjectionOff"
  | "AlreadyInjected"
  | "NotSelected"
  | "OptedOut"
  | "HostNetwork"
  | "PolicyConflict"
  | "PortNotFound"
  | "PortConflict"
  | "VolumeConflict";

/**
 * The decision: inject the sidecar and volumes for `server`, or skip; warnings for kubectl either way.
 *
 * @example
 * plan.action === "Inject" && plan.server.metadata.name; // "weather"
 */
export type InjectionPlan =
  | {
      action: "Inject";
      server: MCPServer;
      port: number;
      container: V1Container;
      volumes: V1Volume[];
      warnings: string[];
    }
  | { action: "Skip"; reason: SkipReason; warnings: string[] };

/**
 * Whether an MCPServer asks for the proxy under `policy`.
 *
 * @example
 * wantsProxy(server, { enforcement: "Enforce" }); // true for mode Auto
 */
export function wantsProxy(server: MCPServer, policy: Pick<EffectivePolicy, "enforcement">) {
  const mode = server.spec.proxy?.mode ?? "Auto";
  return mode === "Sidecar" || (mode === "Auto" && policy.enforcement === "Enforce");
}

const skip = (reason: SkipReason, warnings: string[] = []): InjectionPlan => ({
  action: "Skip",
  reason,
  warnings,
});

const quoted = (servers: readonly MCPServer[]) =>
  servers.map((s) => `"${s.metadata.name}"`).join(", ");

/** What the obstacles to injecting for one MCPServer are judged on. */
interface Candidate {
  pod: InjectablePod;
  policy: EffectivePolicy;
  server: MCPServer;
  port: number | undefined;
  volumes: V1Volume[];
}

/** Why injecting for the candidate would not work, and what to change; in the order they are checked. */
const OBSTACLES: readonly ((c: Candidate) => [SkipReason, string] | undefined)[] = [
  (c) =>
    c.pod.spec?.hostNetwork
      ? [
          "HostNetwork",
          "the pod uses the node's network (hostNetwork), where the proxy cannot own the MCP port",
        ]
      : undefined,
  (c) =>
    c.policy.keyExchange.length === 0 || c.policy.identityAlgorithms.length === 0
      ? [
          "PolicyConflict",
          `${policyPhrase(c.policy.policies)} together allow no key-exchange group or identity algorithm`,
        ]
      : undefined,
  (c) =>
    c.port === undefined
      ? [
          "PortNotFound",
          `its \`spec.port\` "${c.server.spec.port}" names no container port of the pod; declare a ` +
            `container port named "${c.server.spec.port}" or set \`spec.port\` to a number`,
        ]
      : undefined,
  (c) => {
    const all = [...(c.pod.spec?.containers ?? []), ...(c.pod.spec?.initContainers ?? [])];
    const declared = all.flatMap((x) => x.ports ?? []);
    const clash =
      c.port === PROXY_METRICS_PORT ||
      declared.some(
        (p) => p.containerPort === PROXY_METRICS_PORT || p.name === PROXY_METRICS_PORT_NAME,
      );
    return clash
      ? [
          "PortConflict",
          `port ${PROXY_METRICS_PORT} (${PROXY_METRICS_PORT_NAME}) is the proxy's metrics port; move the pod's port elsewhere`,
        ]
      : undefined;
  },
  (c) => {
    const taken = (c.pod.spec?.volumes ?? []).filter((v) =>
      c.volumes.some((p) => p.name === v.name),
    );
    return taken.length
      ? [
          "VolumeConflict",
          `the pod already has volume ${taken.map((v) => `"${v.name}"`).join(", ")} (it runs ` +
            "latticeguard agent?): the proxy replaces the agent; remove the agent and its volumes",
        ]
      : undefined;
  },
];

/** The warnings about the opt-out annotation and servers that ask for the proxy in vain. */
function notices(pod: InjectablePod, policy: EffectivePolicy, asking: readonly MCPServer[]) {
  const warnings: string[] = [];
  if (pod.metadata?.annotations?.[INJECT_ANNOTATION] === "false" && !policy.allowOptOut)
    warnings.push(
      `${INJECT_ANNOTATION}: "false" is ignored: ${policyPhrase(policy.policies)} does not allow ` +
        "opting out (`spec.transport.allowOptOut`), so LatticeGuard's proxy is injected",
    );
  if (asking.length > 1)
    warnings.push(
      `MCPServers ${quoted(asking)} all select this pod and ask for LatticeGuard's proxy: only ` +
        `"${asking[0]!.metadata.name}" is served; narrow their \`spec.selector\` so that one MCPServer selects it`,
    );
  return warnings;
}

/**
 * What a pod gets, and why (see the module notes). Pure.
 *
 * @example
 * planInjection({ pod, namespace, servers, policy, settings }).action; // "Inject"
 */
export function planInjection(input: InjectionInput): InjectionPlan {
  const { pod, policy, settings } = input;
  const { proxyImage } = settings;
  if (proxyImage === undefined) return skip("InjectionOff");
  if (proxyContainer(pod)) return skip("AlreadyInjected");
  const asking = coveringServers(pod.metadata?.labels, input.servers).filter((s) =>
    wantsProxy(s, policy),
  );
  const server = asking[0];
  if (!server) return skip("NotSelected");
  if (pod.metadata?.annotations?.[INJECT_ANNOTATION] === "false" && policy.allowOptOut)
    return skip("OptedOut");
  const warnings = notices(pod, policy, asking);
  const port = portNumber(pod, server.spec.port);
  const volumes = proxyVolumes(settings.bundleConfigMap);
  const candidate: Candidate = { pod, policy, server, port, volumes };
  for (const obstacle of OBSTACLES) {
    const found = obstacle(candidate);
    if (!found) continue;
    const [reason, why] = found;
    const not = `LatticeGuard's proxy for MCPServer "${server.metadata.name}" is not injected`;
    return skip(reason, [...warnings, `${not}: ${why}`]);
  }
  const container = proxySidecar({ server, port: port!, policy, ...settings, proxyImage });
  return { action: "Inject", server, port: port!, container, volumes, warnings };
}

/**
 * The mutation of one pod: the patch (empty when nothing is injected), kubectl warnings, and what was
 * decided. Pure.
 *
 * @example
 * const { patch, warnings, outcome } = mutatePod(input); // outcome "Injected" or a SkipReason
 */
export function mutatePod(input: InjectionInput): {
  patch: PatchOperation[];
  warnings: string[];
  outcome: "Injected" | SkipReason;
  server?: string;
} {
  const plan = planInjection(input);
  if (plan.action === "Skip") return { patch: [], warnings: plan.warnings, outcome: plan.reason };
  return {
    patch: injectionPatch(input.pod, plan),
    warnings: plan.warnings,
    outcome: "Injected",
    server: plan.server.metadata.name,
  };
}

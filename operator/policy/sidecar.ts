/**
 * What LatticeGuard's proxy sidecar in a pod proves. The mutating webhook injects `latticeguard-proxy` as a
 * native sidecar (an init container with `restartPolicy: Always`); the validating webhook, the MCPServer
 * status and the CryptoPolicy coverage all read it back the same way, here. A pod's sidecar counts as
 * post-quantum transport when
 *
 * - it is a native sidecar (not a regular container, not a run-to-completion init container);
 * - its image is the configured proxy image (`--proxy-image`), so the container is LatticeGuard's proxy
 *   and not something else carrying its name; and
 * - every group of its `--groups` (the proxy's default list when it has none) is one the policy allows.
 *
 * Pure. {@link proxyOnlySpec} is what the operator's pod informer keeps of each pod's spec: just those
 * fields of the proxy container, nothing of any other container.
 *
 * @example
 * sidecarProblems(pod, policy, "ghcr.io/latticeguard/latticeguard:0.1.0"); // [] when it counts
 */
import type { V1Container } from "@kubernetes/client-node";
import { KEY_EXCHANGE_GROUPS } from "../api/algorithms.ts";
import { PROXY_CONTAINER } from "../api/annotations.ts";
import type { EffectivePolicy } from "./merge.ts";

/**
 * The groups the proxy offers when its `--groups` flag is absent (the proxy's own default).
 *
 * @example
 * PROXY_DEFAULT_GROUPS.join(","); // "X25519MLKEM768,SecP256r1MLKEM768,SecP384r1MLKEM1024,MLKEM1024"
 */
export const PROXY_DEFAULT_GROUPS: readonly string[] = KEY_EXCHANGE_GROUPS;

/**
 * The parts of a pod the sidecar rules read.
 *
 * @example
 * const shape: SidecarShape = { spec: { containers: [], initContainers: [proxy] } };
 */
export interface SidecarShape {
  spec?: { containers?: readonly V1Container[]; initContainers?: readonly V1Container[] };
}

/**
 * Where a pod's `latticeguard-proxy` container is: its list, its index, and the container.
 *
 * @example
 * const at: ProxyAt = { list: "initContainers", index: 0, container };
 */
export interface ProxyAt {
  list: "initContainers" | "containers";
  index: number;
  container: V1Container;
}

/**
 * The pod's container named `latticeguard-proxy`, in either list, if any.
 *
 * @example
 * proxyContainer(pod)?.list; // "initContainers"
 */
export function proxyContainer(pod: SidecarShape): ProxyAt | undefined {
  for (const list of ["initContainers", "containers"] as const) {
    const index = (pod.spec?.[list] ?? []).findIndex((c) => c.name === PROXY_CONTAINER);
    if (index >= 0) return { list, index, container: pod.spec![list]![index]! };
  }
  return undefined;
}

/**
 * The groups a proxy container offers: every `--groups` value of its args (`--groups=a,b` or
 * `--groups a,b`), or the proxy's default where there is none.
 *
 * @example
 * proxyGroups({ name: "latticeguard-proxy", args: ["proxy", "--groups=MLKEM1024"] }); // ["MLKEM1024"]
 */
export function proxyGroups(container: Pick<V1Container, "args">): string[] {
  const args = container.args ?? [];
  const values = args.flatMap((arg, i) => {
    if (arg.startsWith("--groups=")) return [arg.slice("--groups=".length)];
    return arg === "--groups" && i + 1 < args.length ? [args[i + 1]!] : [];
  });
  if (values.length === 0) return [...PROXY_DEFAULT_GROUPS];
  return values.flatMap((v) => v.split(",")).map((g) => g.trim());
}

/**
 * One reason a pod's proxy does not count, with the field (relative to the pod) to change.
 *
 * @example
 * const p: SidecarProblem = { field: "spec.initContainers[0].image", message: "must be …" };
 */
export interface SidecarProblem {
  field: string;
  message: string;
}

/**
 * Why the pod's `latticeguard-proxy` container does not give it post-quantum transport; empty when it
 * does, or when the pod has none (ask {@link proxyContainer} first). `proxyImage` undefined: no image is
 * configured, so no proxy can be trusted.
 *
 * @example
 * sidecarProblems(pod, { keyExchange: ["MLKEM1024"] }, image); // [{ field: "spec.initContainers[0].args", … }]
 */
export function sidecarProblems(
  pod: SidecarShape,
  policy: Pick<EffectivePolicy, "keyExchange">,
  proxyImage: string | undefined,
): SidecarProblem[] {
  const at = proxyContainer(pod);
  if (!at) return [];
  const { container } = at;
  const base = `spec.${at.list}[${at.index}]`;
  const problems: SidecarProblem[] = [];
  if (at.list === "containers" || container.restartPolicy !== "Always") {
    problems.push({
      field:
        at.list === "containers" ? `spec.containers[${at.index}].name` : `${base}.restartPolicy`,
      message:
        `${PROXY_CONTAINER} must be a native sidecar (an init container with restartPolicy: ` +
        "Always), as LatticeGuard injects it: remove it and let the webhook inject the proxy",
    });
  }
  if (proxyImage === undefined || container.image !== proxyImage) {
    problems.push({
      field: `${base}.image`,
      message:
        proxyImage === undefined
          ? "no LatticeGuard proxy image is configured (the operator's --proxy-image), so this container cannot be trusted as the proxy"
          : `must be the LatticeGuard proxy image ${proxyImage}, not ${container.image ?? "none"}`,
    });
  }
  const allowed: readonly string[] = policy.keyExchange;
  const forbidden = proxyGroups(container).filter((g) => !allowed.includes(g));
  if (forbidden.length) {
    problems.push({
      field: `${base}.args`,
      message:
        `--groups offers ${forbidden.join(", ")}, which the policy does not allow: ` +
        (allowed.length ? `offer only ${allowed.join(", ")}` : "the policy allows no group"),
    });
  }
  return problems;
}

/**
 * Whether the pod carries the proxy and it counts as post-quantum transport.
 *
 * @example
 * hasProxySidecar(pod, policy, image); // true
 */
export function hasProxySidecar(
  pod: SidecarShape,
  policy: Pick<EffectivePolicy, "keyExchange">,
  proxyImage: string | undefined,
): boolean {
  return proxyContainer(pod) !== undefined && sidecarProblems(pod, policy, proxyImage).length === 0;
}

/**
 * Of a pod's spec, what the operator's pod informer keeps beside the metadata: the proxy container alone,
 * with only its name, image, restart policy and args (what {@link sidecarProblems} reads), in the list it
 * is in. Undefined when the pod has no proxy. Every other container is dropped, so the cache costs about
 * what a metadata-only one does.
 *
 * @example
 * const spec = proxyOnlySpec(pod);
 * const cached = spec ? { ...metadataOnly(pod), spec } : metadataOnly(pod);
 */
export function proxyOnlySpec(
  pod: SidecarShape,
): { containers: V1Container[]; initContainers?: V1Container[] } | undefined {
  const at = proxyContainer(pod);
  if (!at) return undefined;
  const { name, image, restartPolicy, args } = at.container;
  const kept: V1Container = { name, image, restartPolicy, args };
  return at.list === "initContainers"
    ? { containers: [], initContainers: [kept] }
    : { containers: [kept] };
}

/**
 * What the pod rule (webhook/pod-decision.ts) reads of a pod's containers, for a cache that keeps
 * little else: each container's name, restart policy and port names and numbers (whether the pod
 * exposes an MCP endpoint), and of the proxy also its image and args (as {@link proxyOnlySpec}). The
 * deny preview of a CryptoPolicy runs the rule over the operator's cached pods; this is what lets it see
 * them as the webhook does.
 *
 * @example
 * const cached = { ...lean, spec: { ...lean.spec, ...ruleSpec(pod) } };
 */
export function ruleSpec(pod: SidecarShape): {
  containers: V1Container[];
  initContainers?: V1Container[];
} {
  const proxy = proxyContainer(pod)?.container;
  const keep = (c: V1Container): V1Container => ({
    name: c.name,
    ...(c.restartPolicy && { restartPolicy: c.restartPolicy }),
    ...(c.ports && {
      ports: c.ports.map((p) => ({ name: p.name, containerPort: p.containerPort })),
    }),
    ...(c === proxy && { image: c.image, args: c.args }),
  });
  const init = pod.spec?.initContainers;
  return {
    containers: (pod.spec?.containers ?? []).map(keep),
    ...(init && { initContainers: init.map(keep) }),
  };
}

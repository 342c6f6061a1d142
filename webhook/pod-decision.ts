/**
 * The admission rule for one pod (or pod template), DESIGN.md "Admission": a pod that exposes an MCP
 * endpoint must have post-quantum transport, which means both
 *
 * 1. an MCPServer in its namespace covers (selects) it, so LatticeGuard rotates its keys and issues its
 *    identity; and
 * 2. one of, checked in this order:
 *    - `sidecar`: LatticeGuard's proxy is in the pod, as the mutating webhook injects it (a native
 *      sidecar of the configured image whose `--groups` the policy all allows; operator/policy/sidecar.ts);
 *      for a pod template, the proxy *will* be in its pods: the injection decision (injection.ts) says so;
 *    - `claim`: its `latticeguard.dev/transport` annotation names a TLS 1.3 key-exchange group that the
 *      namespace's effective policy allows: the server says it terminates post-quantum TLS itself.
 *      Admission cannot check a claim; it is admitted like a sidecar, without a warning (it is how a
 *      server that speaks post-quantum TLS itself complies), and reported as a claim (metrics, status).
 *
 * A `latticeguard-proxy` container that does not count (another image, a forbidden group, not a native
 * sidecar) is a violation of its own fields, unless a valid claim covers the pod.
 *
 * A namespace whose CryptoPolicies conflict (together allow nothing) is a violation in itself, naming the
 * policies. Each violation is a field error saying what is wrong and what to change: the allowed groups
 * and the policies that require them, or the missing MCPServer and the labels it must select. Pure.
 *
 * @example
 * const { violations, transport } = podFindings({ template, namespace: "shop", servers, resolution, isTemplate: false, injection });
 */
import type { MCPServer } from "../operator/api/types.generated.ts";
import { INJECT_ANNOTATION, TRANSPORT_ANNOTATION } from "../operator/api/annotations.ts";
import {
  coveringServers,
  describeExposure,
  mcpExposure,
  type ExposureReason,
} from "../operator/policy/exposure.ts";
import type { PolicyResolution } from "../operator/policy/merge.ts";
import { proxyContainer, sidecarProblems } from "../operator/policy/sidecar.ts";
import { hasPostQuantumTransport, type PodTransport } from "../operator/policy/transport.ts";
import { INJECT_WEBHOOK } from "./configuration.ts";
import { policyPhrase } from "./enforcement.ts";
import {
  planInjection,
  type InjectablePod,
  type InjectionPlan,
  type InjectionSettings,
} from "./injection.ts";
import type { FieldError } from "./types.ts";

/**
 * Everything the rule reads about one pod.
 *
 * @example
 * const input: PodInput = { template, namespace: "shop", servers: view.servers("shop"), resolution };
 */
export interface PodInput {
  template: InjectablePod;
  namespace: string;
  /** The MCPServers of the pod's namespace. */
  servers: readonly MCPServer[];
  resolution: PolicyResolution;
  /** A workload's pod template, whose pods are yet to be created (and injected); false for a Pod. */
  isTemplate: boolean;
  /** How the proxy is injected; absent: it is not, and no sidecar counts. */
  injection?: InjectionSettings;
}

/**
 * What the rule found: why the pod counts as an MCP endpoint, which servers cover it, and what is wrong
 * (fields relative to the pod).
 *
 * @example
 * findings.exposure.length === 0; // not an MCP endpoint: nothing to check
 */
export interface PodFindings {
  exposure: ExposureReason[];
  covering: MCPServer[];
  violations: FieldError[];
  /** How it has post-quantum transport, when it does. */
  transport?: PodTransport;
  /** What injection will do to a template's pods that its owner should know (kubectl warnings). */
  notes: string[];
}

/**
 * The transport annotation's field path, relative to the pod.
 *
 * @example
 * templateField("spec.template", TRANSPORT_FIELD); // "spec.template.metadata.annotations[latticeguard.dev/transport]"
 */
export const TRANSPORT_FIELD = `metadata.annotations[${TRANSPORT_ANNOTATION}]`;

function why(exposure: readonly ExposureReason[]): string {
  const shown = exposure.slice(0, 3).map(describeExposure).join(", ");
  return exposure.length > 3 ? `${shown}, …` : shown;
}

function labelPhrase(labels: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return pairs.length
    ? `whose \`spec.selector\` matches these labels (${pairs.slice(0, 5).join(", ")})`
    : "and give the pod labels its `spec.selector` matches (it has none)";
}

/** What a transport violation adds about LatticeGuard's proxy: why the pod does not have it. */
function proxyHint(plan: InjectionPlan | undefined, input: PodInput): string {
  if (!plan) return "";
  if (plan.action === "Inject")
    return (
      ` (MCPServer "${plan.server.metadata.name}" asks for LatticeGuard's proxy but the pod has none: ` +
      `is the mutating webhook ${INJECT_WEBHOOK} registered?)`
    );
  switch (plan.reason) {
    case "InjectionOff":
    case "AlreadyInjected":
      return "";
    case "NotSelected": {
      const server = coveringServers(input.template.metadata?.labels, input.servers)[0];
      return server
        ? `, or have LatticeGuard's proxy injected: set \`spec.proxy.mode: Sidecar\` on MCPServer "${server.metadata.name}"`
        : "";
    }
    case "OptedOut":
      return ` (the pod opts out of LatticeGuard's proxy with ${INJECT_ANNOTATION}: "false")`;
    default:
      return ` (${plan.warnings.at(-1) ?? plan.reason})`;
  }
}

function transportViolation(
  declared: string | undefined,
  input: PodInput,
  exposure: readonly ExposureReason[],
  plan: InjectionPlan | undefined,
): FieldError {
  const { policy } = input.resolution;
  const allowed: readonly string[] = policy.keyExchange;
  const policies = policyPhrase(policy.policies);
  const message =
    declared === undefined
      ? `must name the TLS 1.3 key-exchange group of the MCP endpoint (${why(exposure)}): ` +
        `set ${TRANSPORT_ANNOTATION}: ${allowed[0]} (allowed by ${policies}: ${allowed.join(", ")})`
      : `"${declared}" is not allowed by ${policies}: ` +
        `use a post-quantum key-exchange group, one of ${allowed.join(", ")}`;
  return { field: TRANSPORT_FIELD, message: message + proxyHint(plan, input) };
}

/**
 * How the pod has post-quantum transport (see the module notes), or the violations that say why not.
 *
 * @example
 * transportFindings(input, exposure); // { transport: "sidecar", violations: [], notes: [] }
 */
function transportFindings(
  input: PodInput,
  exposure: readonly ExposureReason[],
): Pick<PodFindings, "transport" | "violations" | "notes"> {
  const { template, resolution, injection } = input;
  const { policy } = resolution;
  const claimed = hasPostQuantumTransport(template, policy);
  if (proxyContainer(template)) {
    const problems = sidecarProblems(template, policy, injection?.proxyImage);
    if (problems.length === 0) return { transport: "sidecar", violations: [], notes: [] };
    return claimed
      ? { transport: "claim", violations: [], notes: [] }
      : { violations: problems, notes: [] };
  }
  const plan =
    injection &&
    planInjection({
      pod: template,
      namespace: input.namespace,
      servers: input.servers,
      policy,
      settings: injection,
    });
  const notes = input.isTemplate ? (plan?.warnings ?? []) : [];
  if (input.isTemplate && plan?.action === "Inject")
    return { transport: "sidecar", violations: [], notes };
  if (claimed) return { transport: "claim", violations: [], notes };
  const declared = template.metadata?.annotations?.[TRANSPORT_ANNOTATION];
  return { violations: [transportViolation(declared, input, exposure, plan)], notes };
}

/**
 * Applies the rule to one pod.
 *
 * @example
 * podFindings({ template: { metadata: { labels: { app: "web" } }, spec }, namespace, servers, resolution, isTemplate: false });
 */
export function podFindings(input: PodInput): PodFindings {
  const { template, namespace, resolution } = input;
  const exposure = mcpExposure(template, input.servers);
  const covering = coveringServers(template.metadata?.labels, input.servers);
  const violations: FieldError[] = [];
  if (exposure.length === 0) return { exposure, covering, violations, notes: [] };
  if (resolution.kind === "Conflict") {
    violations.push({
      field: "metadata.namespace",
      message:
        `${resolution.message} in namespace "${namespace}", so no MCP endpoint there can comply; ` +
        `change those policies so that they share an allowed value`,
    });
  }
  if (covering.length === 0) {
    violations.push({
      field: "metadata.labels",
      message:
        `exposes an MCP endpoint (${why(exposure)}) but no MCPServer in namespace "${namespace}" ` +
        `selects it: create an MCPServer ${labelPhrase(template.metadata?.labels)}`,
    });
  }
  // Under a conflict no group is allowed: the conflict itself is the violation.
  if (resolution.policy.keyExchange.length === 0)
    return { exposure, covering, violations, notes: [] };
  const transport = transportFindings(input, exposure);
  violations.push(...transport.violations);
  return { exposure, covering, violations, transport: transport.transport, notes: transport.notes };
}

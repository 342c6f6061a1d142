/**
 * The admission rule for one pod (or pod template), DESIGN.md "Admission": a pod that exposes an MCP
 * endpoint must have post-quantum transport, which means both
 *
 * 1. an MCPServer in its namespace covers (selects) it, so LatticeGuard rotates its keys and issues its
 *    identity; and
 * 2. its `latticeguard.dev/transport` annotation names a TLS 1.3 key-exchange group that the namespace's
 *    effective policy allows.
 *
 * A namespace whose CryptoPolicies conflict (together allow nothing) is a violation in itself, naming the
 * policies. Each violation is a field error saying what is wrong and what to change: the allowed groups
 * and the policies that require them, or the missing MCPServer and the labels it must select. Pure.
 *
 * @example
 * const { violations } = podFindings({ template, namespace: "shop", servers, resolution });
 */
import type { MCPServer } from "../operator/api/types.generated.ts";
import { TRANSPORT_ANNOTATION } from "../operator/api/annotations.ts";
import {
  coveringServers,
  describeExposure,
  mcpExposure,
  type ExposureReason,
  type PodShape,
} from "../operator/policy/exposure.ts";
import type { PolicyResolution } from "../operator/policy/merge.ts";
import { policyPhrase } from "./enforcement.ts";
import type { FieldError } from "./types.ts";

/**
 * Everything the rule reads about one pod.
 *
 * @example
 * const input: PodInput = { template, namespace: "shop", servers: view.servers("shop"), resolution };
 */
export interface PodInput {
  template: PodShape;
  namespace: string;
  /** The MCPServers of the pod's namespace. */
  servers: readonly MCPServer[];
  resolution: PolicyResolution;
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

function transportViolation(
  declared: string | undefined,
  input: PodInput,
  exposure: readonly ExposureReason[],
): FieldError | undefined {
  const { policy } = input.resolution;
  const allowed: readonly string[] = policy.keyExchange;
  if (declared !== undefined && allowed.includes(declared)) return undefined;
  const policies = policyPhrase(policy.policies);
  const message =
    declared === undefined
      ? `must name the TLS 1.3 key-exchange group of the MCP endpoint (${why(exposure)}): ` +
        `set ${TRANSPORT_ANNOTATION}: ${allowed[0]} (allowed by ${policies}: ${allowed.join(", ")})`
      : `"${declared}" is not allowed by ${policies}: ` +
        `use a post-quantum key-exchange group, one of ${allowed.join(", ")}`;
  return { field: TRANSPORT_FIELD, message };
}

/**
 * Applies the rule to one pod.
 *
 * @example
 * podFindings({ template: { metadata: { labels: { app: "web" } }, spec }, namespace, servers, resolution });
 */
export function podFindings(input: PodInput): PodFindings {
  const { template, namespace, resolution } = input;
  const exposure = mcpExposure(template, input.servers);
  const covering = coveringServers(template.metadata?.labels, input.servers);
  const violations: FieldError[] = [];
  if (exposure.length === 0) return { exposure, covering, violations };
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
  if (resolution.policy.keyExchange.length > 0) {
    const declared = template.metadata?.annotations?.[TRANSPORT_ANNOTATION];
    const transport = transportViolation(declared, input, exposure);
    if (transport) violations.push(transport);
  }
  return { exposure, covering, violations };
}

/**
 * Validation of MCPServers beyond their CRD schema: a server may narrow its KEM (`spec.kem.algorithm`) and
 * its identity algorithm (`spec.identity.algorithm`) only to what its namespace's effective policy
 * allows. A forbidden narrowing is denied under `Enforce` and warned about under `Warn` and `Audit` (where
 * it is also an audit annotation); the operator then uses the policy's choice and reports
 * `PolicyCompliant=False`. A conflict between the namespace's policies is the policies' fault, not the
 * server's: always a warning. An update that keeps a narrowing the policy has since stopped allowing is
 * warned about, not denied. Which narrowings break the policy is the reconciler's own rule
 * ({@link violations} in operator/mcpserver/decide.ts); this module only words and enforces it. Pure.
 *
 * @example
 * validateMCPServer(server, undefined, "CREATE", context).errors; // [{ field: "spec.kem.algorithm", … }]
 */
import type { MCPServer } from "../operator/api/types.generated.ts";
import { violations } from "../operator/mcpserver/decide.ts";
import { inForceAt, resolvePolicy, type PolicyResolution } from "../operator/policy/merge.ts";
import { metadataOf, namespaceOf, unchangedBy } from "./context.ts";
import { policyPhrase } from "./enforcement.ts";
import type { FieldError, Validator } from "./types.ts";

const narrowing = (server: MCPServer) => [
  server?.spec?.kem?.algorithm,
  server?.spec?.identity?.algorithm,
];

/** Field errors for forbidden narrowings; warnings for a conflict between the policies. */
function findings(server: MCPServer, resolution: PolicyResolution, namespace: string) {
  const { policy } = resolution;
  const policies = policyPhrase(policy.policies);
  const warnings: string[] = [];
  const errors: FieldError[] = [];
  for (const v of violations(server.spec, resolution)) {
    if (v.reason === "PolicyConflict") {
      warnings.push(`namespace "${namespace}": ${v.message}; this server's pods cannot comply`);
    } else if (v.reason === "KEMAlgorithmNotAllowed") {
      errors.push({
        field: "spec.kem.algorithm",
        message: `${server.spec.kem?.algorithm} is not allowed by ${policies}; must be one of ${policy.kemAlgorithms.join(", ")}, or unset to use the policy's preferred KEM`,
      });
    } else {
      errors.push({
        field: "spec.identity.algorithm",
        message: `${server.spec.identity?.algorithm} is not allowed by ${policies}; must be one of ${policy.identityAlgorithms.join(", ")}, or unset`,
      });
    }
  }
  return { errors, warnings };
}

/**
 * The MCPServer validator.
 *
 * @example
 * VALIDATORS["latticeguard.dev/v1alpha1/MCPServer"] = validateMCPServer;
 */
export const validateMCPServer: Validator = (object, oldObject, operation, context) => {
  const server = object as MCPServer;
  const metadata = metadataOf(object);
  if (metadata.deletionTimestamp) return { errors: [], warnings: [] };
  if (typeof server.spec !== "object" || server.spec === null)
    throw new TypeError("`spec` must be an object");
  const { namespace, labels } = namespaceOf(context, object);
  const resolution = inForceAt(resolvePolicy(context.cluster.policies(), labels), context.now);
  const { errors, warnings } = findings(server, resolution, namespace);
  const mode = resolution.policy.enforcement;
  const preexisting = unchangedBy(operation, oldObject, server, narrowing);
  if (errors.length === 0 || (mode === "Enforce" && !preexisting))
    return { errors, warnings, mode, violation: false };
  const lines = errors.map((e) => `${e.field}: ${e.message}`);
  const how = preexisting ? " (unchanged, not denied)" : "";
  return {
    errors: [],
    warnings: [...warnings, ...lines.map((l) => `MCPServer "${metadata.name}"${how}: ${l}`)],
    ...(mode === "Audit" && { auditAnnotations: { violation: lines.join("; ") } }),
    mode,
    violation: true,
  };
};

/**
 * Runs the pod-template validator as admission would, in namespace `shop` (labelled `tier: mcp`) with
 * MCPServer `weather` (selecting `app: weather`) and a CryptoPolicy per mode selecting it; for the pod
 * validator's table tests.
 *
 * @example
 * runPodValidator("Deployment", podBody({ labels: { app: "weather" } }), { policies: [WARN] }).warnings;
 */
import type { CryptoPolicy, MCPServer } from "../../operator/api/types.generated.ts";
import { staticView } from "../cluster-view.ts";
import type { InjectionSettings } from "../injection.ts";
import { POD_TEMPLATE_PATHS } from "../pod-templates.ts";
import { podTemplateValidator } from "../pod-validator.ts";
import type { Operation, Validation } from "../types.ts";
import type { podBody } from "./fixtures.ts";
import { mcpServer, namespace, policy, workload } from "./fixtures.ts";

/**
 * The namespace, annotations, server and policies the runs use.
 *
 * @example
 * podBody({ labels: { app: "weather" }, annotations: PQ });
 */
export const NS = "shop";
export const PQ = { "latticeguard.dev/transport": "X25519MLKEM768" };
export const WEATHER = mcpServer(NS, "weather", { app: "weather" });
export const SELECT = { namespaceSelector: { matchLabels: { tier: "mcp" } } };
export const ENFORCE = policy("enforce", { ...SELECT, enforcement: "Enforce" });
export const WARN = policy("warn", { ...SELECT, enforcement: "Warn" });
export const AUDIT = policy("audit", { ...SELECT, enforcement: "Audit" });

/**
 * The injection settings of runs that inject LatticeGuard's proxy (`injection: INJECTION`).
 *
 * @example
 * runPodValidator("Deployment", body, { injection: INJECTION });
 */
export const INJECTION: InjectionSettings = {
  proxyImage: "ghcr.io/latticeguard/latticeguard:0.1.0",
  issuerUrl: "https://latticeguard-issuer.latticeguard-system.svc:8443",
  bundleConfigMap: "latticeguard-trust-bundle",
};

/**
 * Validates a `kind` object (`Pod`, `Deployment`, …) whose pod (template) is `body`.
 *
 * @example
 * runPodValidator("Pod", podBody(), { operation: "UPDATE", old: podBody() });
 */
export function runPodValidator(
  kind: string,
  body: ReturnType<typeof podBody>,
  setup: {
    policies?: CryptoPolicy[];
    servers?: MCPServer[];
    operation?: Operation;
    old?: ReturnType<typeof podBody>;
    injection?: InjectionSettings;
    /** The time of the review (epoch milliseconds); 2030-01-01 if absent. */
    now?: number;
  } = {},
): Validation {
  const key = Object.keys(POD_TEMPLATE_PATHS).find((k) => k.endsWith(`/${kind}`))!;
  const view = staticView({
    namespaces: [namespace(NS, { tier: "mcp" })],
    policies: setup.policies ?? [ENFORCE],
    servers: setup.servers ?? [WEATHER],
  });
  const object = workload(kind, "web", NS, body);
  const old = setup.old && workload(kind, "web", NS, setup.old);
  return podTemplateValidator(key)(object, old, setup.operation ?? "CREATE", {
    namespace: NS,
    name: "web",
    kind,
    cluster: view,
    now: setup.now ?? Date.parse("2030-01-01T00:00:00Z"),
    ...(setup.injection && { injection: setup.injection }),
  });
}

/**
 * The fields of a validation's errors.
 *
 * @example
 * fields(runPodValidator("Pod", podBody())); // ["metadata.labels", …]
 */
export const fields = (v: Validation) => v.errors.map((e) => e.field);

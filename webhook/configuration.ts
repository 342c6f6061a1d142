/**
 * LatticeGuard's ValidatingWebhookConfiguration and MutatingWebhookConfiguration, built in code: the tests
 * register them, and the Helm chart renders the same objects. The validating one has three webhooks, all
 * served on `/validate`:
 *
 * - `pods.latticeguard.dev`: Pods and the six kinds that make them (CREATE, UPDATE);
 * - `mcpservers.latticeguard.dev` and `cryptopolicies.latticeguard.dev`: semantic validation.
 *
 * The mutating one has `inject.latticeguard.dev` on `/mutate`: Pod CREATE only, where LatticeGuard's proxy
 * is injected. It declares `sideEffects: None` (it records nothing) and `reinvocationPolicy: IfNeeded`, so
 * a pod another mutating webhook changed afterwards is shown to it again; injection is idempotent (a pod
 * that has the proxy is left alone), so a second call never injects twice. Mutating webhooks run before
 * validating ones: the validator sees the pod with its proxy.
 *
 * All fail closed (`failurePolicy: Fail`), the validating ones declare `sideEffects: NoneOnDryRun` (the
 * only side effect is a `PolicyViolation` Event, skipped on dry runs, as Kyverno does), all answer within
 * 5 s and speak AdmissionReview v1 only. Namespaced objects
 * in `kube-system` and in LatticeGuard's own namespace are never sent (by the
 * `kubernetes.io/metadata.name` label every namespace has), so a broken webhook cannot stop the cluster
 * or LatticeGuard itself from recovering; a namespace-scoped install is sent those of its watched
 * namespaces only ({@link webhookNamespaceSelector}, which every webhook configuration shares).
 * Cluster-scoped CryptoPolicies are unaffected by the selector.
 *
 * @example
 * const vwc = validatingWebhookConfiguration({ name: "latticeguard", operatorNamespace: "latticeguard-system",
 *   service: { namespace: "latticeguard-system", name: "latticeguard-webhook" }, caBundle: pem });
 * const mwc = mutatingWebhookConfiguration({ ...sameOptions });
 */
import type {
  AdmissionregistrationV1WebhookClientConfig,
  V1LabelSelector,
  V1LabelSelectorRequirement,
  V1MutatingWebhook,
  V1MutatingWebhookConfiguration,
  V1ObjectMeta,
  V1RuleWithOperations,
  V1ValidatingWebhook,
  V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { MANAGED_LABELS } from "../operator/kube/apply.ts";
import { MUTATE_PATH, WEBHOOK_PATH } from "./server.ts";

/**
 * What varies between installations.
 *
 * @example
 * const options: WebhookConfigurationOptions = { name: "latticeguard", operatorNamespace: "latticeguard-system", url: "https://127.0.0.1:9443" };
 */
export interface WebhookConfigurationOptions {
  /** The configuration's name (the operator's `--webhook-configuration`, `--mutating-webhook-configuration`). */
  name: string;
  /** Excluded from admission along with `kube-system`. */
  operatorNamespace: string;
  /** The only namespaces admitted (`--watch-namespaces`); omitted: every namespace. */
  watchNamespaces?: readonly string[];
  /** The Service in front of the webhook, or (for local runs) `url`, the server's base URL. */
  service?: { namespace: string; name: string; port?: number };
  url?: string;
  /** PEM CA bundle (self-managed TLS); omitted, it is patched in later. */
  caBundle?: string;
  /** `namespace/name` of a cert-manager Certificate whose CA cert-manager injects instead. */
  certManagerCertificate?: string;
  /** Further namespace requirements (tests scope the webhook to their own namespaces). */
  namespaceSelector?: V1LabelSelectorRequirement[];
  /** Default 5. */
  timeoutSeconds?: number;
}

const OPERATIONS = ["CREATE", "UPDATE"];

/**
 * The rules of each webhook, by webhook name prefix.
 *
 * @example
 * WEBHOOK_RULES.pods.length; // 3 (core, apps, batch)
 */
export const WEBHOOK_RULES: Readonly<
  Record<"pods" | "mcpservers" | "cryptopolicies", V1RuleWithOperations[]>
> = {
  pods: [
    { apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" },
    {
      apiGroups: ["apps"],
      apiVersions: ["v1"],
      resources: ["deployments", "statefulsets", "daemonsets", "replicasets"],
      scope: "Namespaced",
    },
    {
      apiGroups: ["batch"],
      apiVersions: ["v1"],
      resources: ["jobs", "cronjobs"],
      scope: "Namespaced",
    },
  ].map((r) => ({ ...r, operations: OPERATIONS })),
  mcpservers: [
    {
      apiGroups: ["latticeguard.dev"],
      apiVersions: ["v1alpha1"],
      resources: ["mcpservers"],
      scope: "Namespaced",
      operations: OPERATIONS,
    },
  ],
  cryptopolicies: [
    {
      apiGroups: ["latticeguard.dev"],
      apiVersions: ["v1alpha1"],
      resources: ["cryptopolicies"],
      scope: "Cluster",
      operations: OPERATIONS,
    },
  ],
};

const NAMESPACE_LABEL = "kubernetes.io/metadata.name";

/**
 * The namespaces a LatticeGuard webhook is called for: never `kube-system` or the operator's own; in a
 * namespace-scoped install only the watched ones; then any further requirements. The API server sets
 * `kubernetes.io/metadata.name` on every namespace, so the selector matches by name.
 *
 * @example
 * webhookNamespaceSelector({ operatorNamespace: "latticeguard-system", watchNamespaces: ["mcp-a"] });
 * // { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system",
 * //   "latticeguard-system"] }, { key: "kubernetes.io/metadata.name", operator: "In", values: ["mcp-a"] }] }
 */
export function webhookNamespaceSelector(
  options: Pick<
    WebhookConfigurationOptions,
    "operatorNamespace" | "watchNamespaces" | "namespaceSelector"
  >,
): V1LabelSelector {
  const { operatorNamespace, watchNamespaces } = options;
  if (watchNamespaces?.length === 0)
    throw new RangeError("`watchNamespaces` must name a namespace, or be omitted for every one");
  return {
    matchExpressions: [
      { key: NAMESPACE_LABEL, operator: "NotIn", values: ["kube-system", operatorNamespace] },
      ...(watchNamespaces
        ? [{ key: NAMESPACE_LABEL, operator: "In", values: [...watchNamespaces] }]
        : []),
      ...(options.namespaceSelector ?? []),
    ],
  };
}

/**
 * The name of the mutating webhook that injects the proxy.
 *
 * @example
 * mwc.webhooks?.[0]?.name === INJECT_WEBHOOK; // true
 */
export const INJECT_WEBHOOK = "inject.latticeguard.dev";

/**
 * The rules of the mutating webhook: Pod CREATE only (a pod's containers never change after it is
 * created, and an update must not grow a sidecar).
 *
 * @example
 * INJECT_RULES[0]?.operations; // ["CREATE"]
 */
export const INJECT_RULES: readonly V1RuleWithOperations[] = [
  {
    apiGroups: [""],
    apiVersions: ["v1"],
    resources: ["pods"],
    scope: "Namespaced",
    operations: ["CREATE"],
  },
];

/** What every webhook of both configurations shares. */
function common(options: WebhookConfigurationOptions, path: string) {
  if (!options.service === !options.url)
    throw new TypeError("exactly one of `service` and `url` must be set");
  const clientConfig: AdmissionregistrationV1WebhookClientConfig = {
    ...(options.url
      ? { url: `${options.url.replace(/\/$/, "")}${path}` }
      : { service: { ...options.service!, path } }),
    ...(options.caBundle && { caBundle: Buffer.from(options.caBundle).toString("base64") }),
  };
  const namespaceSelector = webhookNamespaceSelector(options);
  const metadata: V1ObjectMeta = {
    name: options.name,
    labels: { ...MANAGED_LABELS },
    ...(options.certManagerCertificate && {
      annotations: { "cert-manager.io/inject-ca-from": options.certManagerCertificate },
    }),
  };
  const settings = {
    clientConfig,
    failurePolicy: "Fail",
    timeoutSeconds: options.timeoutSeconds ?? 5,
    admissionReviewVersions: ["v1"],
    matchPolicy: "Equivalent",
    namespaceSelector,
  };
  return { metadata, settings };
}

/**
 * The ValidatingWebhookConfiguration for `options`.
 *
 * @example
 * validatingWebhookConfiguration({ name: "lg-test", operatorNamespace: "latticeguard-system", url, caBundle }).webhooks?.length; // 3
 */
export function validatingWebhookConfiguration(
  options: WebhookConfigurationOptions,
): V1ValidatingWebhookConfiguration {
  const { metadata, settings } = common(options, WEBHOOK_PATH);
  const webhook = (prefix: keyof typeof WEBHOOK_RULES): V1ValidatingWebhook => ({
    name: `${prefix}.latticeguard.dev`,
    clientConfig: settings.clientConfig,
    rules: WEBHOOK_RULES[prefix],
    failurePolicy: settings.failurePolicy,
    sideEffects: "NoneOnDryRun",
    timeoutSeconds: settings.timeoutSeconds,
    admissionReviewVersions: settings.admissionReviewVersions,
    matchPolicy: settings.matchPolicy,
    namespaceSelector: settings.namespaceSelector,
  });
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata,
    webhooks: [webhook("pods"), webhook("mcpservers"), webhook("cryptopolicies")],
  };
}

/**
 * The MutatingWebhookConfiguration for `options`: one webhook, {@link INJECT_WEBHOOK}, on `/mutate`.
 *
 * @example
 * mutatingWebhookConfiguration({ name: "lg-test", operatorNamespace: "latticeguard-system", url }).webhooks?.[0]?.reinvocationPolicy; // "IfNeeded"
 */
export function mutatingWebhookConfiguration(
  options: WebhookConfigurationOptions,
): V1MutatingWebhookConfiguration {
  const { metadata, settings } = common(options, MUTATE_PATH);
  const webhook: V1MutatingWebhook = {
    name: INJECT_WEBHOOK,
    clientConfig: settings.clientConfig,
    rules: [...INJECT_RULES],
    failurePolicy: settings.failurePolicy,
    sideEffects: "None",
    timeoutSeconds: settings.timeoutSeconds,
    admissionReviewVersions: settings.admissionReviewVersions,
    matchPolicy: settings.matchPolicy,
    namespaceSelector: settings.namespaceSelector,
    reinvocationPolicy: "IfNeeded",
  };
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata,
    webhooks: [webhook],
  };
}

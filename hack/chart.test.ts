/**
 * The Helm chart, rendered by the real helm (`helm template` and `helm lint` need no cluster) and held to the
 * code it deploys: the Validating- and MutatingWebhookConfiguration equal the ones webhook/configuration.ts
 * builds, the operator accepts the flags the Deployment passes (the proxy image it injects among them), RBAC
 * names what those flags name, the CRDs are those of
 * `crds/`, the PodMonitor selects the label the webhook gives injected pods on the port the proxy serves,
 * and a wrong value fails with a message naming it. promtool checks the alert rules and the
 * dashboard's queries in test/integration/chart.test.ts.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1Deployment,
  V1NetworkPolicy,
  V1NetworkPolicyIngressRule,
  V1MutatingWebhookConfiguration,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { SIGNATURE_ALGORITHMS } from "../operator/api/algorithms.ts";
import { PROXIED_LABEL } from "../operator/api/annotations.ts";
import { parseOperatorFlags } from "../operator/cli/flags.ts";
import { KEM_BACKEND_CHOICES } from "../operator/crypto/index.ts";
import { LEASE_NAME } from "../operator/operator.ts";
import {
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
} from "../webhook/configuration.ts";
import { PROXY_METRICS_PORT_NAME } from "../webhook/proxy-spec.ts";
import { tryHelm } from "./kubectl.ts";
import { repoRoot } from "./tools.ts";

const chart = join(repoRoot, "charts/latticeguard");
const NS = "lg-system";

const helm = (args: string[]) => tryHelm(undefined, args);

/** `helm template` of release `latticeguard` with `--set` values; throws with helm's message on failure. */
async function render(set: string[] = [], namespace = NS): Promise<KubernetesObject[]> {
  const args = ["template", "latticeguard", chart, "--namespace", namespace];
  const result = await helm([...args, ...set.flatMap((s) => ["--set", s])]);
  if (result.code !== 0) throw new Error(result.stderr);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

function find<T extends KubernetesObject>(
  objects: KubernetesObject[],
  kind: string,
  name?: string,
) {
  return objects.find((o) => o.kind === kind && (!name || o.metadata?.name === name)) as
    T | undefined;
}

const names = (objects: KubernetesObject[]) =>
  objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();

function operatorArgs(objects: KubernetesObject[]): string[] {
  const container = find<V1Deployment>(objects, "Deployment")!.spec!.template.spec!.containers[0]!;
  expect(container.args![0]).toBe("operator");
  return container.args!.slice(1);
}

describe("helm lint", () => {
  it.each([[[]], [["--strict"]]])("passes with %j", async (flags) => {
    const { code, stdout } = await helm(["lint", chart, ...flags]);
    expect(stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(code).toBe(0);
  });
});

describe("helm template with the defaults", () => {
  it("renders the operator, its RBAC, Services, PDB, webhook configuration and CRDs", async () => {
    expect(names(await render())).toEqual([
      "ClusterRole/latticeguard",
      "ClusterRoleBinding/latticeguard",
      "CustomResourceDefinition/cryptopolicies.latticeguard.dev",
      "CustomResourceDefinition/mcpservers.latticeguard.dev",
      "Deployment/latticeguard",
      "MutatingWebhookConfiguration/latticeguard",
      "PodDisruptionBudget/latticeguard",
      "Role/latticeguard",
      "RoleBinding/latticeguard",
      "Service/latticeguard-issuer",
      "Service/latticeguard-metrics",
      "Service/latticeguard-webhook",
      "ServiceAccount/latticeguard",
      "ValidatingWebhookConfiguration/latticeguard",
    ]);
  });

  it("runs a restricted, HA operator", async () => {
    const deployment = find<V1Deployment>(await render(), "Deployment")!;
    const pod = deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(deployment.spec!.replicas).toBe(2);
    expect(container.image).toBe("ghcr.io/latticeguard/latticeguard:0.1.0");
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      seccompProfile: { type: "RuntimeDefault" },
      capabilities: { drop: ["ALL"] },
    });
    expect(container.env).toContainEqual({
      name: "POD_NAMESPACE",
      valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
    });
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http-metrics" });
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http-metrics" });
    expect(container.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(
      pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]
        ?.podAffinityTerm.topologyKey,
    ).toBe("kubernetes.io/hostname");
  });
});

/** The injected proxy calls the issuer through its Service, on the Service's port. */
function expectProxyCallsIssuerService(
  config: ReturnType<typeof parseOperatorFlags>,
  issuerService: V1Service | undefined,
): void {
  const issuerPort = issuerService?.spec?.ports?.[0]?.port ?? 8443;
  const issuerName = issuerService?.metadata?.name ?? "latticeguard-issuer";
  expect(config.proxy.issuerUrl).toBe(`https://${issuerName}.${NS}.svc:${issuerPort}`);
  expect(config.proxy.image).toBeDefined();
}

describe("the Deployment's flags", () => {
  it.each([
    ["the defaults", []],
    ["the webhook off", ["webhook.enabled=false"]],
    ["cert-manager TLS", ["webhook.tls.mode=cert-manager"]],
    ["the issuer off, one replica", ["issuer.enabled=false", "leaderElection.enabled=false"]],
    ["namespace-scoped", ["watchNamespaces={mcp-a,mcp-b}"]],
    ["the probe off", ["probe.interval=off"]],
    [
      "every flag changed",
      [
        "logLevel=debug",
        "cryptoBackend=noble",
        "workers=8",
        "rekey.rate=2",
        "rekey.burst=3",
        "probe.interval=90s",
        "probe.concurrency=32",
        "probe.timeout=2500ms",
        "metrics.port=9090",
        "webhook.port=10443",
        "webhook.configurationName=lg-admission",
        "webhook.service.name=lg-webhook",
        "webhook.tls.secretName=lg-webhook-tls",
        "trustDomain=example.org",
        "trustAnchor.algorithm=ML-DSA-65",
        "trustAnchor.lifetime=240h",
        "trustAnchor.secretName=lg-anchor",
        "trustBundle.configMapName=lg-bundle",
        "issuer.port=9444",
        "issuer.maxIdentityTTL=12h",
        "issuer.service.name=lg-issuer",
        "issuer.service.port=9445",
        "proxy.image.repository=registry.example.com/lg-proxy",
        "proxy.image.tag=1.2.3",
      ],
    ],
  ])("are accepted by the operator and agree with the chart's objects, with %s", async (_, set) => {
    const objects = await render(set);
    const config = parseOperatorFlags(operatorArgs(objects), { POD_NAMESPACE: NS });
    const deployment = find<V1Deployment>(objects, "Deployment")!;
    const ports = deployment.spec!.template.spec!.containers[0]!.ports!;
    const port = (name: string) => ports.find((p) => p.name === name)?.containerPort;
    const service = (component: string): V1Service | undefined =>
      objects.find(
        (o) =>
          o.kind === "Service" && o.metadata?.labels?.["app.kubernetes.io/component"] === component,
      );
    expect(config.namespace).toBe(NS);
    expect(config.watchNamespaces).toEqual(
      set.includes("watchNamespaces={mcp-a,mcp-b}") ? ["mcp-a", "mcp-b"] : undefined,
    );
    expect(config.probe).toEqual(
      set.includes("probe.interval=off")
        ? undefined
        : set.includes("probe.interval=90s")
          ? { intervalMs: 90_000, concurrency: 32, timeoutMs: 2_500 }
          : { intervalMs: 300_000, concurrency: 8, timeoutMs: 5_000 },
    );
    expect(config.metricsAddress.port).toBe(port("http-metrics"));
    expect(service("metrics")?.spec?.ports?.[0]?.targetPort).toBe("http-metrics");
    const vwc = find<V1ValidatingWebhookConfiguration>(objects, "ValidatingWebhookConfiguration");
    const mwc = find<V1MutatingWebhookConfiguration>(objects, "MutatingWebhookConfiguration");
    expect(config.webhook === undefined).toBe(vwc === undefined);
    expect(config.webhook === undefined).toBe(mwc === undefined);
    expect(service("webhook") === undefined).toBe(vwc === undefined);
    expectProxyCallsIssuerService(config, service("issuer"));
    if (config.webhook) {
      expect(config.webhook.address.port).toBe(port("https-webhook"));
      expect(config.webhook.configuration).toBe(vwc!.metadata!.name);
      expect(config.webhook.mutatingConfiguration).toBe(mwc!.metadata!.name);
      expect(mwc!.webhooks![0]!.clientConfig.service!.name).toBe(config.webhook.service);
      expect(config.webhook.service).toBe(service("webhook")!.metadata!.name);
      expect(vwc!.webhooks![0]!.clientConfig.service!.name).toBe(config.webhook.service);
      expect(service("webhook")!.spec!.ports![0]).toMatchObject({ port: 443 });
    }
    const issuer = config.identity.issuerAddress;
    expect(service("issuer") === undefined).toBe(issuer === undefined);
    if (issuer) {
      expect(issuer.port).toBe(port("https-issuer"));
      expect(config.identity.issuerService).toBe(service("issuer")!.metadata!.name);
    }
  });

  it("accept every value the schema allows for logLevel, cryptoBackend and trustAnchor.algorithm", async () => {
    const schema = JSON.parse(await readFile(join(chart, "values.schema.json"), "utf8")) as {
      properties: Record<
        string,
        { enum?: string[]; properties?: Record<string, { enum?: string[] }> }
      >;
    };
    const { logLevel, cryptoBackend, trustAnchor } = schema.properties;
    expect([...cryptoBackend!.enum!].sort()).toEqual([...KEM_BACKEND_CHOICES].sort());
    expect([...trustAnchor!.properties!.algorithm!.enum!]).toEqual([...SIGNATURE_ALGORITHMS]);
    for (const level of logLevel!.enum!)
      expect(parseOperatorFlags([`--log-level=${level}`], {}).logLevel).toBe(level);
  });
});

describe("the ValidatingWebhookConfiguration", () => {
  interface Extra {
    timeoutSeconds?: number;
    cert?: string;
    watchNamespaces?: string[];
  }
  const codeBuilt = (namespace: string, extra: Extra) =>
    validatingWebhookConfiguration({
      name: "latticeguard",
      operatorNamespace: namespace,
      service: { namespace, name: "latticeguard-webhook" },
      timeoutSeconds: extra.timeoutSeconds,
      certManagerCertificate: extra.cert,
      watchNamespaces: extra.watchNamespaces,
    });

  it.each<[string, string[], string, Extra]>([
    ["self-managed TLS", [], "latticeguard-system", {}],
    ["another namespace", [], "platform", {}],
    ["a longer timeout", ["webhook.timeoutSeconds=10"], NS, { timeoutSeconds: 10 }],
    [
      "cert-manager TLS",
      ["webhook.tls.mode=cert-manager"],
      NS,
      { cert: `${NS}/latticeguard-webhook` },
    ],
    [
      "watched namespaces",
      ["watchNamespaces={mcp-a,mcp-b}"],
      NS,
      { watchNamespaces: ["mcp-a", "mcp-b"] },
    ],
  ])("is the one webhook/configuration.ts builds, with %s", async (_, set, namespace, extra) => {
    const objects = await render(set, namespace);
    const rendered = find<V1ValidatingWebhookConfiguration>(
      objects,
      "ValidatingWebhookConfiguration",
    )!;
    const code = codeBuilt(namespace, extra);
    expect(rendered.webhooks).toEqual(code.webhooks);
    expect(rendered.metadata!.name).toBe(code.metadata!.name);
    expect(rendered.metadata!.annotations).toEqual(code.metadata!.annotations);
    expect(rendered.metadata!.labels).toMatchObject(code.metadata!.labels!);
    if (extra.cert) {
      const [, certificate] = extra.cert.split("/");
      expect(find(objects, "Certificate", certificate)).toBeDefined();
    }
  });
});

describe("the MutatingWebhookConfiguration", () => {
  it.each<[string, string[], string, { timeoutSeconds?: number; cert?: string }]>([
    ["self-managed TLS", [], "latticeguard-system", {}],
    ["another namespace", [], "platform", {}],
    ["a longer timeout", ["webhook.timeoutSeconds=10"], NS, { timeoutSeconds: 10 }],
    [
      "cert-manager TLS",
      ["webhook.tls.mode=cert-manager"],
      NS,
      { cert: `${NS}/latticeguard-webhook` },
    ],
  ])("is the one webhook/configuration.ts builds, with %s", async (_, set, namespace, extra) => {
    const objects = await render(set, namespace);
    const rendered = find<V1MutatingWebhookConfiguration>(objects, "MutatingWebhookConfiguration")!;
    const code = mutatingWebhookConfiguration({
      name: "latticeguard",
      operatorNamespace: namespace,
      service: { namespace, name: "latticeguard-webhook" },
      timeoutSeconds: extra.timeoutSeconds,
      certManagerCertificate: extra.cert,
    });
    expect(rendered.webhooks).toEqual(code.webhooks);
    expect(rendered.metadata!.name).toBe(code.metadata!.name);
    expect(rendered.metadata!.annotations).toEqual(code.metadata!.annotations);
    expect(rendered.metadata!.labels).toMatchObject(code.metadata!.labels!);
  });

  it("is not rendered with the webhook off", async () => {
    expect(find(await render(["webhook.enabled=false"]), "MutatingWebhookConfiguration")).toBe(
      undefined,
    );
  });
});

describe("the proxy image", () => {
  const digest = `sha256:${"b".repeat(64)}`;
  it.each<[string, string[], string]>([
    ["the operator's own image by default", [], "ghcr.io/latticeguard/latticeguard:0.1.0"],
    [
      "the operator's own image, pinned as the operator is",
      [`image.repository=registry.example.com/lg`, `image.digest=${digest}`],
      `registry.example.com/lg@${digest}`,
    ],
    ["the operator's tag", ["image.tag=0.1.1"], "ghcr.io/latticeguard/latticeguard:0.1.1"],
    [
      "another repository, at the chart's appVersion",
      ["image.tag=0.1.1", "proxy.image.repository=registry.example.com/proxy"],
      "registry.example.com/proxy:0.1.0",
    ],
    [
      "another tag of the operator's repository",
      ["proxy.image.tag=0.2.0"],
      "ghcr.io/latticeguard/latticeguard:0.2.0",
    ],
    [
      "a digest",
      ["proxy.image.repository=registry.example.com/proxy", `proxy.image.digest=${digest}`],
      `registry.example.com/proxy@${digest}`,
    ],
  ])("is %s", async (_, set, image) => {
    const objects = await render(set);
    expect(parseOperatorFlags(operatorArgs(objects), {}).proxy.image).toBe(image);
  });
});

describe("cert-manager TLS", () => {
  it("issues a certificate for the webhook Service and mounts it where the operator reads it", async () => {
    const objects = await render(["webhook.tls.mode=cert-manager"]);
    const certificate = find<KubernetesObject & { spec: Record<string, unknown> }>(
      objects,
      "Certificate",
    )!;
    const issuer = find(objects, "Issuer")!;
    expect(certificate.spec).toMatchObject({
      secretName: "latticeguard-webhook-cert",
      dnsNames: expect.arrayContaining([`latticeguard-webhook.${NS}.svc`]) as unknown,
      issuerRef: { name: issuer.metadata!.name, kind: "Issuer" },
    });
    const pod = find<V1Deployment>(objects, "Deployment")!.spec!.template.spec!;
    const volume = pod.volumes!.find((v) => v.secret?.secretName === "latticeguard-webhook-cert");
    const mount = pod.containers[0]!.volumeMounts!.find((m) => m.name === volume?.name);
    const config = parseOperatorFlags(operatorArgs(objects), {});
    expect(config.webhook?.tls).toBe("cert-manager");
    expect(mount?.mountPath).toBe(config.webhook?.certDir);
  });

  it("uses the issuer given instead of its own", async () => {
    const objects = await render([
      "webhook.tls.mode=cert-manager",
      "webhook.tls.certManager.issuerRef.name=corp-ca",
      "webhook.tls.certManager.issuerRef.kind=ClusterIssuer",
    ]);
    expect(find(objects, "Issuer")).toBeUndefined();
    expect(find<KubernetesObject & { spec: object }>(objects, "Certificate")!.spec).toMatchObject({
      issuerRef: { name: "corp-ca", kind: "ClusterIssuer" },
    });
  });
});

/** Whether `rules` allow `verb` on `resource` (on the object `name`, where a rule names objects). */
const grants = (rules: V1PolicyRule[], resource: string, verb: string, name?: string) =>
  rules.some(
    (r) =>
      r.resources?.includes(resource) &&
      r.verbs.includes(verb) &&
      (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))),
  );

describe("RBAC", () => {
  const rulesOf = (objects: KubernetesObject[], kind: "ClusterRole" | "Role") =>
    find<V1ClusterRole | V1Role>(objects, kind)?.rules ?? [];

  it("grants no wildcard", async () => {
    const objects = await render(["webhook.tls.mode=self-managed"]);
    for (const rule of [...rulesOf(objects, "ClusterRole"), ...rulesOf(objects, "Role")]) {
      expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]).not.toContain(
        "*",
      );
    }
  });

  it("names in the release namespace what the operator's flags name", async () => {
    const objects = await render();
    const config = parseOperatorFlags(operatorArgs(objects), {});
    const role = rulesOf(objects, "Role");
    const clusterRole = rulesOf(objects, "ClusterRole");
    expect(find<V1Role>(objects, "Role")!.metadata!.namespace).toBe(NS);
    expect(grants(role, "leases", "get", LEASE_NAME)).toBe(true);
    expect(grants(role, "leases", "update", LEASE_NAME)).toBe(true);
    expect(grants(role, "leases", "create")).toBe(true);
    expect(grants(role, "secrets", "get", config.webhook!.secret)).toBe(true);
    expect(grants(role, "secrets", "update", config.webhook!.secret)).toBe(true);
    // The issuance API and GET /v1/cbom review their callers.
    expect(grants(clusterRole, "tokenreviews", "create")).toBe(true);
    expect(grants(clusterRole, "subjectaccessreviews", "create")).toBe(true);
    const vwc = config.webhook!.configuration;
    expect(grants(clusterRole, "validatingwebhookconfigurations", "patch", vwc)).toBe(true);
    expect(grants(clusterRole, "validatingwebhookconfigurations", "patch", "other")).toBe(false);
    const mwc = config.webhook!.mutatingConfiguration;
    for (const verb of ["get", "patch"])
      expect(grants(clusterRole, "mutatingwebhookconfigurations", verb, mwc)).toBe(true);
    expect(grants(clusterRole, "mutatingwebhookconfigurations", "patch", "other")).toBe(false);
  });

  it("grants only what the enabled parts use", async () => {
    const objects = await render([
      "webhook.tls.mode=cert-manager",
      "issuer.enabled=false",
      "leaderElection.enabled=false",
      "replicaCount=1",
    ]);
    const clusterRole = rulesOf(objects, "ClusterRole");
    expect(find(objects, "Role")).toBeUndefined();
    expect(grants(clusterRole, "validatingwebhookconfigurations", "get", "latticeguard")).toBe(
      false,
    );
    expect(grants(clusterRole, "mutatingwebhookconfigurations", "get", "latticeguard")).toBe(false);
    expect(grants(clusterRole, "tokenreviews", "create")).toBe(false);
    expect(grants(clusterRole, "subjectaccessreviews", "create")).toBe(false);
    expect(grants(clusterRole, "pods", "get")).toBe(false);
    expect(grants(clusterRole, "pods", "watch")).toBe(true);
  });
});

describe("RBAC of a namespace-scoped install", () => {
  const scoped = ["watchNamespaces={mcp-a,mcp-b}"];
  const rolesIn = (objects: KubernetesObject[], namespace: string) =>
    objects.filter((o): o is V1Role => o.kind === "Role" && o.metadata?.namespace === namespace);
  const rules = (objects: KubernetesObject[], kind: "ClusterRole" | "Role", namespace?: string) =>
    (kind === "ClusterRole"
      ? [find<V1ClusterRole>(objects, "ClusterRole")!]
      : rolesIn(objects, namespace!)
    ).flatMap((r) => r.rules ?? []);
  const namespaced = ["mcpservers", "mcpservers/status", "pods", "secrets", "configmaps"];

  it("grants nothing namespaced cluster-wide, and only the watched Namespaces by name", async () => {
    const clusterRole = rules(await render(scoped), "ClusterRole");
    for (const resource of namespaced)
      for (const verb of ["get", "list", "watch", "create", "patch"])
        expect(grants(clusterRole, resource, verb), `${verb} ${resource}`).toBe(false);
    for (const name of ["mcp-a", "mcp-b", NS])
      expect(grants(clusterRole, "namespaces", "watch", name), name).toBe(true);
    expect(grants(clusterRole, "namespaces", "list", "kube-system")).toBe(false);
    expect(grants(clusterRole, "cryptopolicies", "watch")).toBe(true);
    expect(grants(clusterRole, "tokenreviews", "create")).toBe(true);
  });

  it("grants MCPServers, pods, Secrets and ConfigMaps in each watched namespace, bound to the operator", async () => {
    const objects = await render(scoped);
    for (const namespace of ["mcp-a", "mcp-b"]) {
      const role = rules(objects, "Role", namespace);
      expect(grants(role, "mcpservers", "watch"), namespace).toBe(true);
      expect(grants(role, "mcpservers/status", "patch"), namespace).toBe(true);
      expect(grants(role, "pods", "get"), namespace).toBe(true);
      expect(grants(role, "secrets", "patch"), namespace).toBe(true);
      expect(grants(role, "configmaps", "delete"), namespace).toBe(true);
      const binding = objects.find(
        (o): o is V1RoleBinding => o.kind === "RoleBinding" && o.metadata?.namespace === namespace,
      )!;
      expect(binding.roleRef).toEqual({
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: rolesIn(objects, namespace)[0]!.metadata!.name,
      });
      expect(binding.subjects).toEqual([
        { kind: "ServiceAccount", name: "latticeguard", namespace: NS },
      ]);
    }
  });

  it("grants in the release namespace, by name, what the operator's flags name there", async () => {
    const objects = await render(scoped);
    const config = parseOperatorFlags(operatorArgs(objects), { POD_NAMESPACE: NS });
    const own = rules(objects, "Role", NS);
    const { anchorSecret, bundleConfigMap } = config.identity;
    expect(grants(own, "secrets", "watch")).toBe(true);
    expect(grants(own, "secrets", "create")).toBe(true);
    expect(grants(own, "secrets", "get", anchorSecret)).toBe(true);
    expect(grants(own, "secrets", "patch", anchorSecret)).toBe(true);
    expect(grants(own, "secrets", "patch", "someone-elses")).toBe(false);
    expect(grants(own, "configmaps", "patch", bundleConfigMap)).toBe(true);
    expect(grants(own, "configmaps", "delete")).toBe(false);
    expect(grants(own, "mcpservers", "watch")).toBe(false);
    expect(grants(own, "leases", "update", LEASE_NAME)).toBe(true);
  });

  it("gives a watched release namespace one Role with both", async () => {
    const objects = await render([`watchNamespaces={${NS},mcp-a}`]);
    expect(rolesIn(objects, NS)).toHaveLength(1);
    const own = rules(objects, "Role", NS);
    expect(grants(own, "mcpservers", "watch")).toBe(true);
    expect(grants(own, "secrets", "patch")).toBe(true);
    expect(grants(own, "leases", "update", LEASE_NAME)).toBe(true);
  });

  it("renders one Role per watched namespace, and the webhook admits exactly those", async () => {
    const objects = await render(scoped);
    const roles = objects.filter((o) => o.kind === "Role").map((o) => o.metadata!.namespace);
    expect(roles.sort()).toEqual(["lg-system", "mcp-a", "mcp-b"]);
    const vwc = find<V1ValidatingWebhookConfiguration>(objects, "ValidatingWebhookConfiguration")!;
    for (const webhook of vwc.webhooks!)
      expect(webhook.namespaceSelector?.matchExpressions).toContainEqual({
        key: "kubernetes.io/metadata.name",
        operator: "In",
        values: ["mcp-a", "mcp-b"],
      });
  });
});

/**
 * The fields of `value` that the Kubernetes type `type` (a client-node model such as "V1NetworkPolicy")
 * does not have, as paths: a misspelt or misplaced field, which the API server would drop.
 */
function unknownFields(value: unknown, type: string, path = ""): string[] {
  const item = /^Array<(.+)>$/.exec(type)?.[1];
  if (item && Array.isArray(value))
    return value.flatMap((v, i) => unknownFields(v, item, `${path}[${i}]`));
  const model = (k8s as unknown as Record<string, { getAttributeTypeMap?(): Attribute[] }>)[type];
  if (!model?.getAttributeTypeMap || typeof value !== "object" || value === null) return [];
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, v]) => {
    const at = `${path}.${key}`;
    const attribute = attributes.get(key);
    return attribute === undefined ? [at] : unknownFields(v, attribute, at);
  });
}
interface Attribute {
  baseName: string;
  type: string;
}

describe("the NetworkPolicy", () => {
  const enabled = "networkPolicy.enabled=true";
  const policyOf = async (set: string[]) => {
    const objects = await render([enabled, ...set]);
    const policy = find<V1NetworkPolicy>(objects, "NetworkPolicy")!;
    const container = find<V1Deployment>(objects, "Deployment")!.spec!.template.spec!
      .containers[0]!;
    const port = (name: string) => container.ports!.find((p) => p.name === name)?.containerPort;
    // As rendered: client-node's type calls `from` `_from`.
    const rules = policy.spec!.ingress! as (V1NetworkPolicyIngressRule & { from?: unknown })[];
    /** The ingress rule of the container port `name`. */
    const rule = (name: string) => rules.find((r) => r.ports?.some((p) => p.port === port(name)));
    return { objects, policy, rule };
  };

  it("is opt-in", async () => {
    expect(find(await render(), "NetworkPolicy")).toBeUndefined();
  });

  it("is a valid NetworkPolicy of the operator's pods, on nothing but ingress", async () => {
    const { objects, policy } = await policyOf([]);
    expect(unknownFields(policy, "V1NetworkPolicy")).toEqual([]);
    expect(unknownFields({ spec: { podSelector: { matchLabel: {} } } }, "V1NetworkPolicy")).toEqual(
      [".spec.podSelector.matchLabel"],
    );
    const deployment = find<V1Deployment>(objects, "Deployment")!;
    expect(policy.metadata!.namespace).toBe(NS);
    expect(policy.spec!.podSelector).toEqual(deployment.spec!.selector);
    expect(policy.spec!.policyTypes).toEqual(["Ingress"]);
    expect(policy.spec!.egress).toBeUndefined();
  });

  it("admits the webhook from anywhere, the issuer from pods, and /metrics from Prometheus", async () => {
    const { policy, rule } = await policyOf([]);
    expect(policy.spec!.ingress).toHaveLength(3);
    expect(rule("https-webhook")).toEqual({ ports: [{ protocol: "TCP", port: 9443 }] });
    expect(rule("https-issuer")?.from).toEqual([{ namespaceSelector: {}, podSelector: {} }]);
    expect(rule("http-metrics")?.from).toEqual([
      {
        namespaceSelector: {},
        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      },
    ]);
  });

  it("follows the ports, the sources it is given, and the watched namespaces", async () => {
    const { policy, rule } = await policyOf([
      "webhook.port=10443",
      "issuer.port=9444",
      "metrics.port=9090",
      "watchNamespaces={mcp-a,mcp-b}",
      "networkPolicy.webhook.from[0].ipBlock.cidr=10.0.0.0/24",
      "networkPolicy.issuer.podSelector.matchLabels.role=mcp",
      "networkPolicy.metrics.namespaceSelector.matchLabels.name=monitoring",
      // Helm merges maps: this narrows the default to one Prometheus.
      "networkPolicy.metrics.podSelector.matchLabels.prometheus=k8s",
    ]);
    expect(unknownFields(policy, "V1NetworkPolicy")).toEqual([]);
    expect(rule("https-webhook")).toEqual({
      ports: [{ protocol: "TCP", port: 10443 }],
      from: [{ ipBlock: { cidr: "10.0.0.0/24" } }],
    });
    expect(rule("https-issuer")).toEqual({
      ports: [{ protocol: "TCP", port: 9444 }],
      from: [
        {
          namespaceSelector: {
            matchExpressions: [
              { key: "kubernetes.io/metadata.name", operator: "In", values: ["mcp-a", "mcp-b"] },
            ],
          },
          podSelector: { matchLabels: { role: "mcp" } },
        },
      ],
    });
    expect(rule("http-metrics")).toEqual({
      ports: [{ protocol: "TCP", port: 9090 }],
      from: [
        {
          namespaceSelector: { matchLabels: { name: "monitoring" } },
          podSelector: {
            matchLabels: { "app.kubernetes.io/name": "prometheus", prometheus: "k8s" },
          },
        },
      ],
    });
  });

  it("prefers the issuer namespaces it is given to the watched ones", async () => {
    const { rule } = await policyOf([
      "watchNamespaces={mcp-a}",
      "networkPolicy.issuer.namespaceSelector.matchLabels.team=mcp",
    ]);
    expect(rule("https-issuer")?.from).toEqual([
      { namespaceSelector: { matchLabels: { team: "mcp" } }, podSelector: {} },
    ]);
  });

  it("opens no port for a part that is off", async () => {
    const { policy } = await policyOf(["webhook.enabled=false", "issuer.enabled=false"]);
    expect(policy.spec!.ingress!.map((r) => r.ports)).toEqual([[{ protocol: "TCP", port: 8080 }]]);
  });
});

describe("the CRDs", () => {
  it("are those of crds/, kept on uninstall", async () => {
    const objects = await render();
    for (const file of [
      "latticeguard.dev_cryptopolicies.yaml",
      "latticeguard.dev_mcpservers.yaml",
    ]) {
      const want = parse(
        await readFile(join(repoRoot, "crds", file), "utf8"),
      ) as V1CustomResourceDefinition;
      const got = find<V1CustomResourceDefinition>(
        objects,
        "CustomResourceDefinition",
        want.metadata!.name,
      )!;
      expect(got.spec).toEqual(want.spec);
      expect(got.metadata!.labels).toMatchObject(want.metadata!.labels!);
      expect(got.metadata!.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    }
  });

  it.each([
    ["crds.keep=false", 2],
    ["crds.enabled=false", 0],
  ])("follow %s", async (set, count) => {
    const crds = (await render([set])).filter((o) => o.kind === "CustomResourceDefinition");
    expect(crds).toHaveLength(count);
    for (const crd of crds) expect(crd.metadata!.annotations).toBeUndefined();
  });
});

/** A Prometheus Operator PodMonitor, as far as the chart sets it. */
interface PodMonitor extends KubernetesObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { any?: boolean; matchNames?: string[] };
    podMetricsEndpoints: Record<string, unknown>[];
  };
}

describe("the PodMonitor of the proxy sidecars", () => {
  const enabled = "podMonitor.enabled=true";
  const monitorOf = async (set: string[]) =>
    find<PodMonitor>(await render([enabled, ...set]), "PodMonitor")!;

  it("is opt-in", async () => {
    expect(find(await render(), "PodMonitor")).toBeUndefined();
  });

  it("selects the label the webhook gives injected pods, on the proxy's metrics port", async () => {
    const objects = await render([enabled, "serviceMonitor.enabled=true"]);
    const monitor = find<PodMonitor>(objects, "PodMonitor")!;
    const service = find<KubernetesObject & { spec: { endpoints: { interval: string }[] } }>(
      objects,
      "ServiceMonitor",
    )!;
    expect(monitor.metadata).toMatchObject({ name: "latticeguard-proxy", namespace: NS });
    expect(monitor.spec.selector).toEqual({ matchLabels: { [PROXIED_LABEL]: "true" } });
    expect(monitor.spec.podMetricsEndpoints).toEqual([
      {
        port: PROXY_METRICS_PORT_NAME,
        path: "/metrics",
        interval: service.spec.endpoints[0]!.interval,
        honorLabels: true,
      },
    ]);
  });

  it.each<[string, string[], PodMonitor["spec"]["namespaceSelector"]]>([
    ["every namespace by default", [], { any: true }],
    [
      "the watched namespaces, where the webhook injects",
      ["watchNamespaces={mcp-a,mcp-b}"],
      { matchNames: ["mcp-a", "mcp-b"] },
    ],
    [
      "the namespaces it is given, first",
      ["watchNamespaces={mcp-a,mcp-b}", "podMonitor.namespaceSelector.matchNames={mcp-b}"],
      { matchNames: ["mcp-b"] },
    ],
  ])("looks in %s", async (_, set, selector) => {
    expect((await monitorOf(set)).spec.namespaceSelector).toEqual(selector);
  });

  it("follows the interval, timeout and labels it is given", async () => {
    const monitor = await monitorOf([
      "podMonitor.interval=15s",
      "podMonitor.scrapeTimeout=10s",
      "podMonitor.labels.release=kube-prometheus",
    ]);
    expect(monitor.spec.podMetricsEndpoints[0]).toMatchObject({
      interval: "15s",
      scrapeTimeout: "10s",
    });
    expect(monitor.metadata!.labels).toMatchObject({ release: "kube-prometheus" });
  });
});

describe("every toggle on", () => {
  const all = [
    "serviceMonitor.enabled=true",
    "podMonitor.enabled=true",
    "prometheusRule.enabled=true",
    "grafanaDashboard.enabled=true",
    "defaultPolicy.enabled=true",
    "webhook.tls.mode=cert-manager",
    "podDisruptionBudget.enabled=true",
    "networkPolicy.enabled=true",
  ];

  it("renders the monitoring objects, the default policy and cert-manager's", async () => {
    const objects = await render(all);
    for (const kind of [
      "ServiceMonitor",
      "PodMonitor",
      "PrometheusRule",
      "CryptoPolicy",
      "Certificate",
      "Issuer",
      "NetworkPolicy",
    ])
      expect(find(objects, kind), kind).toBeDefined();
    expect(find(objects, "PodDisruptionBudget")).toBeDefined();
  });

  it("ships the rules file and the dashboard verbatim", async () => {
    const objects = await render(all);
    const rules = parse(
      await readFile(join(chart, "files/prometheus-rules.yaml"), "utf8"),
    ) as object;
    expect(find<KubernetesObject & { spec: object }>(objects, "PrometheusRule")!.spec).toEqual(
      rules,
    );
    const dashboard = find<V1ConfigMap>(objects, "ConfigMap", "latticeguard-dashboard")!;
    expect(dashboard.metadata!.labels).toMatchObject({ grafana_dashboard: "1" });
    const json = await readFile(join(chart, "files/grafana-dashboard.json"), "utf8");
    expect(JSON.parse(dashboard.data!["latticeguard.json"]!)).toEqual(JSON.parse(json));
  });

  it("creates the sample baseline policy after install, once its CRD exists", async () => {
    const policy = find<KubernetesObject & { spec: object }>(await render(all), "CryptoPolicy")!;
    const samples = parseAllDocuments(
      await readFile(join(repoRoot, "config/samples/cryptopolicy.yaml"), "utf8"),
    ).map((d) => d.toJS() as KubernetesObject & { spec: object });
    expect(policy.metadata!.name).toBe("baseline");
    expect(policy.spec).toEqual(samples.find((s) => s.metadata!.name === "baseline")!.spec);
    expect(policy.metadata!.annotations).toMatchObject({
      "helm.sh/hook": "post-install,post-upgrade",
    });
  });

  it("scrapes the metrics Service with LatticeGuard's own namespace label", async () => {
    const objects = await render(all);
    const monitor = find<
      KubernetesObject & { spec: { selector: { matchLabels: object }; endpoints: object[] } }
    >(objects, "ServiceMonitor")!;
    const metrics = find<V1Service>(objects, "Service", "latticeguard-metrics")!;
    expect(metrics.metadata!.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints).toEqual([
      expect.objectContaining({ port: metrics.spec!.ports![0]!.name, honorLabels: true }),
    ]);
  });
});

describe("other choices", () => {
  it.each([
    ["replicaCount=1", (o: KubernetesObject[]) => find(o, "PodDisruptionBudget") === undefined],
    [
      "image.digest=sha256:" + "a".repeat(64),
      (o: KubernetesObject[]) =>
        find<V1Deployment>(o, "Deployment")!.spec!.template.spec!.containers[0]!.image ===
        `ghcr.io/latticeguard/latticeguard@sha256:${"a".repeat(64)}`,
    ],
    [
      "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=pool",
      (o: KubernetesObject[]) =>
        Object.keys(find<V1Deployment>(o, "Deployment")!.spec!.template.spec!.affinity!).join() ===
        "nodeAffinity",
    ],
    [
      "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
      (o: KubernetesObject[]) => {
        const [constraint] = find<V1Deployment>(o, "Deployment")!.spec!.template.spec!
          .topologySpreadConstraints!;
        return (
          constraint?.labelSelector?.matchLabels?.["app.kubernetes.io/component"] === "operator"
        );
      },
    ],
  ])("%s", async (set, holds) => {
    expect(holds(await render([set]))).toBe(true);
  });
});

describe("wrong values", () => {
  it.each([
    ["logLevel=loud", "at '/logLevel': value must be one of"],
    ["replicas=2", "additional properties 'replicas' not allowed"],
    ["replicaCount=two", "at '/replicaCount': got string, want integer"],
    ["webhook.tls.moed=manual", "at '/webhook/tls': additional properties 'moed' not allowed"],
    ["webhook.tls.mode=manual", "at '/webhook/tls/mode': value must be one of"],
    ["cryptoBackend=fast", "at '/cryptoBackend': value must be one of"],
    ["trustAnchor.algorithm=ML-DSA-99", "at '/trustAnchor/algorithm': value must be one of"],
    ["trustAnchor.lifetime=30d", "at '/trustAnchor/lifetime': '30d' does not match pattern"],
    ["serviceMonitor.interval=often", "at '/serviceMonitor/interval'"],
    ["podMonitor.interval=often", "at '/podMonitor/interval'"],
    [
      "podMonitor.namespaceSelector.matchLabels.team=mcp",
      "at '/podMonitor/namespaceSelector': additional properties 'matchLabels' not allowed",
    ],
    [
      "podMonitor.namespaceSelector.matchNames={Shop}",
      "at '/podMonitor/namespaceSelector/matchNames/0': 'Shop' does not match pattern",
    ],
    ["watchNamespaces={mcp-a,Shop}", "at '/watchNamespaces/1': 'Shop' does not match pattern"],
    ["watchNamespaces={mcp-a,mcp-a}", "at '/watchNamespaces': items at 0 and 1 are equal"],
    ["watchNamespaces=mcp-a", "at '/watchNamespaces': got string, want array"],
    [
      "networkPolicy.enabeld=true",
      "at '/networkPolicy': additional properties 'enabeld' not allowed",
    ],
    [
      "networkPolicy.webhook.from[0].ipBlok.cidr=10.0.0.0/8",
      "at '/networkPolicy/webhook/from/0': additional properties 'ipBlok' not allowed",
    ],
    [
      "networkPolicy.issuer.podSelector.matchLabel.app=agent",
      "at '/networkPolicy/issuer/podSelector': additional properties 'matchLabel' not allowed",
    ],
    [
      "networkPolicy.metrics.namespaceSelector.matchExpressions[0].operator=Equals",
      "at '/networkPolicy/metrics/namespaceSelector/matchExpressions/0/operator': value must be one of",
    ],
    ["probe.interval=never", "at '/probe/interval': 'never' does not match pattern"],
    ["probe.interval=false", "at '/probe/interval': got boolean, want string"],
    ["probe.concurrency=0", "at '/probe/concurrency': minimum"],
    ["probe.timeout=1d", "at '/probe/timeout': '1d' does not match pattern"],
    ["probe.intervall=1m", "at '/probe': additional properties 'intervall' not allowed"],
    ["proxy.image.digest=latest", "at '/proxy/image/digest': 'latest' does not match pattern"],
    ["proxy.image.registry=x", "at '/proxy/image': additional properties 'registry' not allowed"],
  ])("%s fails helm template, naming the value", async (set, message) => {
    const { code, stderr } = await helm(["template", "latticeguard", chart, "--set", set]);
    expect(code).not.toBe(0);
    expect(stderr).toContain("values don't meet the specifications of the schema");
    expect(stderr).toContain(message);
  });
});

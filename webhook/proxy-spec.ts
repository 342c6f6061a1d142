/**
 * The pod spec of LatticeGuard's proxy, as the design of issue 11 ("Injection") has it: one native sidecar
 * (`latticeguard-proxy`, an init container with `restartPolicy: Always`) that terminates TLS 1.3 on the
 * pod IP and the MCP port and forwards to the server on 127.0.0.1 on the same port, and the three volumes
 * it mounts (a projected service-account token for the issuance API, the trust bundle, and an in-memory
 * directory for its key and certificate). The server must bind 127.0.0.1: bound to 0.0.0.0 it fails with
 * EADDRINUSE instead of serving plaintext beside the proxy. Pure.
 *
 * @example
 * const sidecar = proxySidecar({ server, port: 8443, policy, proxyImage, issuerUrl });
 * const volumes = proxyVolumes("latticeguard-trust-bundle");
 */
import type { V1Container, V1Volume } from "@kubernetes/client-node";
import type { SignatureAlgorithm } from "../operator/api/algorithms.ts";
import { PROXY_CONTAINER } from "../operator/api/annotations.ts";
import type { MCPServer } from "../operator/api/types.generated.ts";
import { ALLOW_NONE } from "../operator/proxy/flags.ts";
import { clientRules, formatClientRule, type ClientRule } from "../operator/policy/clients.ts";
import type { EffectivePolicy } from "../operator/policy/merge.ts";

/**
 * The proxy's `--allow` flags for `rules`; no rule (`spec.clients: []`) is `--allow=none`, since no flag at
 * all would mean the MCPServer's own namespace.
 *
 * @example
 * allowArgs([]); // ["--allow=none"]
 */
export function allowArgs(rules: readonly ClientRule[]): string[] {
  return rules.length === 0
    ? [`--allow=${ALLOW_NONE}`]
    : rules.map((r) => `--allow=${formatClientRule(r)}`);
}

/**
 * The proxy's metrics port, on every address of the pod.
 *
 * @example
 * PROXY_METRICS_PORT; // 15090
 */
export const PROXY_METRICS_PORT = 15090;

/**
 * The name of the proxy's metrics port. Not the design's `lg-proxy-metrics`: the API server refuses port
 * names longer than 15 characters (an IANA service name), so that pod could never be created.
 *
 * @example
 * PROXY_METRICS_PORT_NAME.length <= 15; // true
 */
export const PROXY_METRICS_PORT_NAME = "lgproxy-metrics";

/**
 * The proxy's volumes and where it mounts them (the proxy's flag defaults).
 *
 * @example
 * PROXY_VOLUMES.identity.mountPath; // "/var/run/latticeguard.dev/identity"
 */
export const PROXY_VOLUMES = {
  token: { name: "latticeguard-token", mountPath: "/var/run/secrets/latticeguard.dev/identity" },
  trust: { name: "latticeguard-trust", mountPath: "/var/run/latticeguard.dev/trust" },
  identity: { name: "latticeguard-identity", mountPath: "/var/run/latticeguard.dev/identity" },
} as const;

/** The projected token's audience: the issuance API's (operator/identity/issuer). */
const TOKEN_AUDIENCE = "latticeguard.dev/identity";

/**
 * What one sidecar is made from: the MCPServer it serves, the MCP port as a number, the namespace's
 * effective policy (groups, identity algorithm), the image and the issuance API.
 *
 * @example
 * const spec: SidecarSpec = { server, port: 8443, policy, proxyImage, issuerUrl };
 */
export interface SidecarSpec {
  server: MCPServer;
  port: number;
  policy: EffectivePolicy;
  proxyImage: string;
  issuerUrl: string;
}

/**
 * The identity algorithm of the proxy: the MCPServer's narrowing where the policy allows it, else the
 * policy's first (as the MCPServer reconciler chooses).
 *
 * @example
 * identityAlgorithm(server, policy); // "ML-DSA-65"
 */
export function identityAlgorithm(server: MCPServer, policy: EffectivePolicy): SignatureAlgorithm {
  const wanted = server.spec.identity?.algorithm;
  return wanted && policy.identityAlgorithms.includes(wanted)
    ? wanted
    : policy.identityAlgorithms[0]!;
}

/**
 * The sidecar for `spec.server` on `spec.port`.
 *
 * @example
 * proxySidecar({ server, port: 8443, policy, proxyImage, issuerUrl }).args?.[0]; // "proxy"
 */
export function proxySidecar(spec: SidecarSpec): V1Container {
  const { server, port, policy } = spec;
  const { namespace, name } = server.metadata;
  return {
    name: PROXY_CONTAINER,
    image: spec.proxyImage,
    restartPolicy: "Always",
    args: [
      "proxy",
      `--listen=$(POD_IP):${port}`,
      `--upstream=127.0.0.1:${port}`,
      `--mcpserver=${namespace}/${name}`,
      `--issuer=${spec.issuerUrl}`,
      `--groups=${policy.keyExchange.join(",")}`,
      `--algorithm=${identityAlgorithm(server, policy)}`,
      ...allowArgs(clientRules(server)),
    ],
    env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
    ports: [{ name: PROXY_METRICS_PORT_NAME, containerPort: PROXY_METRICS_PORT }],
    startupProbe: {
      exec: {
        command: [
          "node",
          "operator/bin/latticeguard.mjs",
          "proxy",
          "--check",
          `--identity-dir=${PROXY_VOLUMES.identity.mountPath}`,
        ],
      },
      periodSeconds: 1,
      failureThreshold: 120,
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    volumeMounts: [
      { ...PROXY_VOLUMES.token, readOnly: true },
      { ...PROXY_VOLUMES.trust, readOnly: true },
      { ...PROXY_VOLUMES.identity },
    ],
  };
}

/**
 * The volumes the sidecar mounts: its projected token, the trust bundle, and an in-memory identity dir.
 *
 * @example
 * proxyVolumes("latticeguard-trust-bundle").map((v) => v.name); // ["latticeguard-token", "latticeguard-trust", "latticeguard-identity"]
 */
export function proxyVolumes(bundleConfigMap: string): V1Volume[] {
  return [
    {
      name: PROXY_VOLUMES.token.name,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: TOKEN_AUDIENCE,
              expirationSeconds: 3600,
              path: "token",
            },
          },
        ],
      },
    },
    { name: PROXY_VOLUMES.trust.name, configMap: { name: bundleConfigMap } },
    { name: PROXY_VOLUMES.identity.name, emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
  ];
}

import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { CryptoPolicy, MCPServer } from "../api/types.generated.ts";
import { cacheOf } from "../kube/cache.ts";
import { evaluatePolicy } from "./reconcile.ts";

const policy = (
  name: string,
  algorithms: CryptoPolicy["spec"]["kem"]["algorithms"],
  labels?: Record<string, string>,
): CryptoPolicy => ({
  apiVersion: "latticeguard.dev/v1alpha1",
  kind: "CryptoPolicy",
  metadata: { name },
  spec: {
    ...(labels && { namespaceSelector: { matchLabels: labels } }),
    enforcement: "Audit",
    minimumSecurityCategory: 3,
    transport: { keyExchange: ["X25519MLKEM768"] },
    kem: { algorithms, rotationPeriod: "1h", gracePeriod: "1m" },
    identity: { algorithms: ["ML-DSA-65"], ttl: "1h" },
  },
});
const ns = (name: string, labels: Record<string, string> = {}): V1Namespace => ({
  metadata: { name, labels },
});
const server = (namespace: string, name: string, compliant: boolean): MCPServer => ({
  apiVersion: "latticeguard.dev/v1alpha1",
  kind: "MCPServer",
  metadata: { namespace, name },
  spec: { selector: { matchLabels: { app: name } }, port: "mcp", transport: "streamable-http" },
  status: {
    conditions: [
      {
        type: "PolicyCompliant",
        status: compliant ? "True" : "False",
        reason: "x",
        message: "",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      },
    ],
  },
});
const pod = (namespace: string, app: string, transport?: string): V1Pod => ({
  metadata: {
    namespace,
    name: `${app}-${transport ?? "none"}`,
    labels: { app },
    annotations: transport ? { "latticeguard.dev/transport": transport } : {},
  },
});

describe("evaluatePolicy", () => {
  const namespaces = [ns("a", { tier: "x" }), ns("b", { tier: "x" }), ns("c")];
  const servers = [
    server("a", "s1", true),
    server("a", "s2", false),
    server("b", "s3", true),
    server("c", "s4", true),
  ];
  const pods = [
    pod("a", "s1", "X25519MLKEM768"),
    pod("a", "s1"),
    pod("a", "s2", "MLKEM1024"),
    pod("c", "s4", "X25519MLKEM768"),
  ];
  const serverCache = cacheOf(servers);
  const podCache = cacheOf(pods);
  const cluster = {
    namespaces,
    serversIn: (n: string) => serverCache.inNamespace(n),
    podsIn: (n: string) => podCache.inNamespace(n),
  };

  it("counts what the policy selects and what complies", () => {
    const p = policy("tier-x", ["ML-KEM-768"], { tier: "x" });
    const { coverage, conflicts, denied } = evaluatePolicy(p, [p], cluster);
    // The deny preview: a/s1 without transport, a/s2 with a group the policy does not allow.
    expect(denied).toBe(2);
    expect(coverage).toEqual({
      namespaces: 2,
      mcpServers: 3,
      compliantMCPServers: 2,
      pods: 3,
      compliantPods: 1,
    });
    expect(conflicts).toEqual([]);
  });

  it("counts pods LatticeGuard's proxy serves as compliant, only with the configured image", () => {
    const IMAGE = "ghcr.io/latticeguard/latticeguard:0.1.0";
    const proxied = (name: string, image: string): V1Pod => ({
      metadata: { namespace: "b", name, labels: { app: "s3" } },
      spec: {
        containers: [],
        initContainers: [
          {
            name: "latticeguard-proxy",
            image,
            restartPolicy: "Always",
            args: ["proxy", "--groups=X25519MLKEM768"],
          },
        ],
      },
    });
    const withProxies = cacheOf([
      ...pods,
      proxied("good", IMAGE),
      proxied("bad", "example.com/x:1"),
    ]);
    const p = policy("tier-x", ["ML-KEM-768"], { tier: "x" });
    const { coverage, denied } = evaluatePolicy(p, [p], {
      ...cluster,
      podsIn: (n: string) => withProxies.inNamespace(n),
      proxyImage: IMAGE,
    });
    expect([coverage.pods, coverage.compliantPods]).toEqual([5, 2]);
    // The webhook's rule: the sidecar of another image is denied like no transport at all.
    expect(denied).toBe(3);
  });

  it("finds the namespaces where it conflicts with another policy", () => {
    const mine = policy("mine", ["ML-KEM-768"]);
    const theirs = policy("theirs", ["X-Wing"], { tier: "x" });
    const { conflicts } = evaluatePolicy(mine, [mine, theirs], cluster);
    expect(conflicts).toEqual([
      { namespace: "a", policies: ["mine", "theirs"], fields: ["spec.kem.algorithms"] },
      { namespace: "b", policies: ["mine", "theirs"], fields: ["spec.kem.algorithms"] },
    ]);
  });

  it("previews the denial of MCP pods no MCPServer selects, and not of pods being deleted", () => {
    const mcpPod = (name: string, deleting: boolean): V1Pod => ({
      metadata: {
        namespace: "b",
        name,
        labels: { app: "stray" },
        ...(deleting && { deletionTimestamp: new Date("2030-01-01T00:00:00Z") }),
      },
      spec: { containers: [{ name: "server", ports: [{ name: "mcp", containerPort: 8080 }] }] },
    });
    const more = cacheOf([...pods, mcpPod("stray", false), mcpPod("leaving", true)]);
    const p = policy("tier-x", ["ML-KEM-768"], { tier: "x" });
    const { denied } = evaluatePolicy(p, [p], {
      ...cluster,
      podsIn: (n: string) => more.inNamespace(n),
    });
    expect(denied).toBe(3);
  });
});

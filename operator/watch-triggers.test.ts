import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { MCPServer } from "./api/types.generated.ts";
import { cacheOf } from "./kube/cache.ts";
import {
  coverageFingerprint,
  namespaceFingerprint,
  podFingerprint,
  serversInNamespaceOf,
} from "./watch-triggers.ts";

const pod = (labels: Record<string, string>, annotations: Record<string, string> = {}): V1Pod => ({
  metadata: { name: "web-0", namespace: "mcp", labels, annotations, resourceVersion: "1" },
});
const server = (
  namespace: string,
  name: string,
  generation = 1,
  compliant = "True",
  activeKeyId = "mlkem768-00",
): MCPServer => ({
  apiVersion: "latticeguard.dev/v1alpha1",
  kind: "MCPServer",
  metadata: { namespace, name, generation },
  spec: { selector: { matchLabels: { app: name } }, port: "mcp", transport: "streamable-http" },
  status: {
    conditions: [
      {
        type: "PolicyCompliant",
        status: compliant as "True" | "False",
        reason: "x",
        message: "",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      },
    ],
    kem: { activeKeyId },
  },
});

const proxy = (image: string) => ({
  name: "latticeguard-proxy",
  image,
  restartPolicy: "Always",
  args: ["proxy"],
});

describe("podFingerprint", () => {
  it("changes with the proxy's image", () => {
    const at = (image: string): V1Pod => ({
      metadata: { labels: { app: "web" } },
      spec: { containers: [], initContainers: [proxy(image)] },
    });
    expect(podFingerprint(at("a:1"))).not.toBe(podFingerprint(at("a:2")));
  });

  const base = pod({ app: "web" }, { "latticeguard.dev/transport": "X25519MLKEM768" });
  it.each<[string, V1Pod, boolean]>([
    [
      "another resourceVersion",
      { ...base, metadata: { ...base.metadata, resourceVersion: "2" } },
      true,
    ],
    [
      "another unrelated annotation",
      pod({ app: "web" }, { "latticeguard.dev/transport": "X25519MLKEM768", x: "y" }),
      true,
    ],
    [
      "other labels",
      pod({ app: "api" }, { "latticeguard.dev/transport": "X25519MLKEM768" }),
      false,
    ],
    [
      "another transport",
      pod({ app: "web" }, { "latticeguard.dev/transport": "MLKEM1024" }),
      false,
    ],
    [
      "a deletion",
      { ...base, metadata: { ...base.metadata, deletionTimestamp: new Date(0) } },
      false,
    ],
    [
      "the proxy sidecar",
      { ...base, spec: { containers: [], initContainers: [proxy("a:1")] } },
      false,
    ],
    ["another container", { ...base, spec: { containers: [{ name: "web", image: "x" }] } }, true],
  ])("with %s is the same: %s", (_name, changed, same) => {
    expect(podFingerprint(changed) === podFingerprint(base)).toBe(same);
  });
});

describe("namespaceFingerprint", () => {
  const ns = (labels: Record<string, string>, resourceVersion = "1"): V1Namespace => ({
    metadata: { name: "mcp", labels, resourceVersion },
  });
  it.each([
    ["another resourceVersion", ns({ tier: "x" }, "2"), true],
    ["other labels", ns({ tier: "y" }), false],
  ])("with %s is the same: %s", (_name, changed, same) => {
    expect(namespaceFingerprint(changed) === namespaceFingerprint(ns({ tier: "x" }))).toBe(same);
  });
});

describe("coverageFingerprint", () => {
  const base = server("mcp", "weather");
  it.each([
    ["a rotated key", server("mcp", "weather", 1, "True", "mlkem768-01"), true],
    ["a new spec generation", server("mcp", "weather", 2), false],
    ["compliance lost", server("mcp", "weather", 1, "False"), false],
  ])("with %s is the same: %s", (_name, changed, same) => {
    expect(coverageFingerprint(changed) === coverageFingerprint(base)).toBe(same);
  });
});

describe("serversInNamespaceOf", () => {
  const servers = cacheOf([server("mcp", "a"), server("mcp", "b"), server("other", "c")]);
  const mapper = serversInNamespaceOf(servers, (p: V1Pod) => p.metadata?.namespace);
  it.each([
    ["mcp", ["mcp/a", "mcp/b"]],
    ["other", ["other/c"]],
    ["empty", []],
    [undefined, []],
  ])("maps a pod in %s to %j", (namespace, keys) => {
    expect([...mapper("x", { metadata: { name: "p", namespace } })]).toEqual(keys);
  });
});

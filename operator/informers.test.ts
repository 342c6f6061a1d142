import { KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { cachedPodFields, operatorInformers } from "./informers.ts";
import type { Informer } from "./runtime/informer.ts";
import { InformerSet } from "./runtime/informer-set.ts";

/** A KubeConfig for a server that is never called: informers are only built here, never started. */
function unusedKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "unused", server: "https://127.0.0.1:1" }],
    users: [{ name: "unused" }],
    contexts: [{ name: "unused", cluster: "unused", user: "unused" }],
    currentContext: "unused",
  });
  return kc;
}

const kc = unusedKubeConfig();
const watched = (cache: unknown) =>
  cache instanceof InformerSet ? cache.namespaces : (cache as Informer<never>).path;

describe("operatorInformers", () => {
  it("watches every namespace without --watch-namespaces", () => {
    const informers = operatorInformers(kc, { namespace: "lg", watchNamespaces: undefined });
    expect(watched(informers.servers)).toBe("/apis/latticeguard.dev/v1alpha1/mcpservers");
    expect(watched(informers.secrets)).toBe("/api/v1/secrets");
    expect(watched(informers.namespaces)).toBe("/api/v1/namespaces");
    expect(watched(informers.services)).toBe("/api/v1/services");
    expect(informers.all).toHaveLength(7);
  });

  it("watches only the listed namespaces, and its own for what lives there", () => {
    const informers = operatorInformers(kc, {
      namespace: "lg",
      watchNamespaces: ["mcp-a", "mcp-b"],
    });
    expect(watched(informers.servers)).toEqual(["mcp-a", "mcp-b"]);
    expect(watched(informers.pods)).toEqual(["mcp-a", "mcp-b"]);
    expect(watched(informers.services)).toEqual(["mcp-a", "mcp-b"]);
    expect(watched(informers.secrets)).toEqual(["mcp-a", "mcp-b", "lg"]);
    expect(watched(informers.configMaps)).toEqual(["mcp-a", "mcp-b", "lg"]);
    expect(watched(informers.namespaces)).toEqual(["mcp-a", "mcp-b", "lg"]);
    // CryptoPolicies are cluster-scoped: every one, in either mode.
    expect(watched(informers.policies)).toBe("/apis/latticeguard.dev/v1alpha1/cryptopolicies");
  });

  it("watches its own namespace once when it is listed too", () => {
    const informers = operatorInformers(kc, { namespace: "lg", watchNamespaces: ["lg", "mcp-a"] });
    expect(watched(informers.servers)).toEqual(["lg", "mcp-a"]);
    expect(watched(informers.secrets)).toEqual(["lg", "mcp-a"]);
  });
});

describe("cachedPodFields", () => {
  const pod: V1Pod = {
    metadata: { name: "web-0", namespace: "shop", labels: { app: "web" }, managedFields: [{}] },
    spec: {
      serviceAccountName: "web",
      containers: [
        {
          name: "web",
          image: "example.com/web:1",
          env: [{ name: "TOKEN", value: "secret" }],
          ports: [{ name: "mcp", containerPort: 8080, protocol: "TCP" }],
        },
      ],
      initContainers: [
        {
          name: "latticeguard-proxy",
          image: "ghcr.io/latticeguard/latticeguard:1",
          restartPolicy: "Always",
          args: ["proxy"],
          env: [{ name: "SECRET", value: "x" }],
          ports: [{ name: "mcp-tls", containerPort: 8443 }],
        },
      ],
      volumes: [{ name: "token" }],
    },
    status: { podIP: "10.1.2.3", phase: "Running", hostIP: "10.0.0.1", conditions: [] },
  };

  it("keeps the service account, ports, the proxy's image and args, IP and phase, and nothing else", () => {
    const cached = cachedPodFields(pod);
    expect(cached.spec).toEqual({
      serviceAccountName: "web",
      containers: [{ name: "web", ports: [{ name: "mcp", containerPort: 8080 }] }],
      initContainers: [
        {
          name: "latticeguard-proxy",
          image: "ghcr.io/latticeguard/latticeguard:1",
          restartPolicy: "Always",
          args: ["proxy"],
          ports: [{ name: "mcp-tls", containerPort: 8443 }],
        },
      ],
    });
    expect(cached.status).toEqual({ podIP: "10.1.2.3", phase: "Running" });
    expect(cached.metadata?.managedFields).toBeUndefined();
    expect(JSON.stringify(cached)).not.toMatch(/secret|SECRET/);
  });

  it("keeps no status of a pod that has neither IP nor phase yet", () => {
    expect(cachedPodFields({ ...pod, status: {} }).status).toBeUndefined();
  });
});

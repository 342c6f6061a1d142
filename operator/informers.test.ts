import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { operatorInformers } from "./informers.ts";
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

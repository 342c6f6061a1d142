import { KubeConfig, RequestContext, HttpMethod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { dispatcherFingerprint, shareConnections } from "./shared-connections.ts";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");

function kubeconfig(server = "https://127.0.0.1:6443", ca = CA): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, caData: ca.toString("base64"), skipTLSVerify: false }],
    users: [{ name: "u", token: "secret-token" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const context = new RequestContext("https://127.0.0.1:6443/api/v1/namespaces", HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return context.getDispatcher();
}

describe("shareConnections", () => {
  it("finds the client-node method it wraps", () => {
    expect(shareConnections(kubeconfig())).toBe(true);
  });

  it("gives every request of one KubeConfig the same dispatcher, and keeps per-request headers", async () => {
    const kc = kubeconfig();
    shareConnections(kc);
    const [a, b] = [await dispatcherOf(kc), await dispatcherOf(kc)];
    expect(a).toBeDefined();
    expect(a).toBe(b);
    const context = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
    await kc.applySecurityAuthentication(context);
    expect(context.getHeaders().Authorization).toBe("Bearer secret-token");
  });

  it("leaves an unshared KubeConfig as client-node made it: a new dispatcher per request", async () => {
    const kc = kubeconfig();
    expect(await dispatcherOf(kc)).not.toBe(await dispatcherOf(kc));
  });

  it("builds a new dispatcher when what it is built from changes", async () => {
    const kc = kubeconfig();
    shareConnections(kc);
    const before = await dispatcherOf(kc);
    // Loading options again into the same KubeConfig, as a refreshed configuration would.
    kc.loadFromOptions(kubeconfig("https://127.0.0.1:6443", Buffer.from("another CA")));
    const after = await dispatcherOf(kc);
    expect(after).not.toBe(before);
    expect(await dispatcherOf(kc)).toBe(after);
  });
});

describe("dispatcherFingerprint", () => {
  const cluster = kubeconfig().getCurrentCluster();
  it.each([
    ["another CA", { ca: Buffer.from("x") }],
    ["a client certificate", { ca: CA, cert: Buffer.from("cert") }],
    ["a client key", { ca: CA, key: Buffer.from("key") }],
    ["certificate checks off", { ca: CA, rejectUnauthorized: false }],
    ["a server name", { ca: CA, servername: "kubernetes" }],
  ])("differs with %s", (_name, options) => {
    expect(dispatcherFingerprint(cluster, options)).not.toBe(
      dispatcherFingerprint(cluster, { ca: CA }),
    );
  });

  it("differs with another server", () => {
    const other = kubeconfig("https://127.0.0.1:7443").getCurrentCluster();
    expect(dispatcherFingerprint(other, { ca: CA })).not.toBe(
      dispatcherFingerprint(cluster, { ca: CA }),
    );
  });

  it("is equal for equal inputs", () => {
    expect(dispatcherFingerprint(cluster, { ca: Buffer.from(CA) })).toBe(
      dispatcherFingerprint(cluster, { ca: CA }),
    );
  });
});
